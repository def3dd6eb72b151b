/**
 * Model → view sync shared by the views: every `change:<trait>` marks the trait dirty and one
 * microtask later `apply` gets all dirty traits together, so traits that arrive in one message
 * are never shown half-updated. An exception in `apply` must not blank the widget: it is logged
 * and handed to `onError` (the views show it in their error banner), and syncing goes on.
 */
import type { AnyModel } from "@anywidget/types";

export interface TraitSyncOptions<Trait extends string> {
  /** Names the view in console errors: `interplab_widgets <name>: …`. */
  name: string;
  apply(changed: Set<Trait>): void;
  onError(err: Error): void;
}

/**
 * Listen to `change:<trait>` for each of `traits` and apply them all once right away.
 * Returns the function that stops listening (pending changes are then dropped).
 */
// biome-ignore lint/suspicious/noExplicitAny: the traits' value types do not matter here.
export function syncTraits<T extends Record<string, any>, Trait extends keyof T & string>(
  model: AnyModel<T>,
  traits: readonly Trait[],
  options: TraitSyncOptions<Trait>,
): () => void {
  const listeners: Array<[`change:${Trait}`, () => void]> = [];
  const dirty = new Set<Trait>();
  let flushQueued = false;
  let destroyed = false;

  const sync = (changed: Set<Trait>): void => {
    try {
      options.apply(changed);
    } catch (err) {
      console.error(`interplab_widgets ${options.name}:`, err);
      options.onError(err as Error);
    }
  };

  const markDirty = (trait: Trait): void => {
    dirty.add(trait);
    if (flushQueued) return;
    flushQueued = true;
    queueMicrotask(() => {
      flushQueued = false;
      if (destroyed) return;
      const changed = new Set(dirty);
      dirty.clear();
      sync(changed);
    });
  };

  for (const trait of traits) {
    const listener = () => markDirty(trait);
    model.on(`change:${trait}`, listener);
    listeners.push([`change:${trait}`, listener]);
  }
  sync(new Set(traits));

  return () => {
    destroyed = true;
    for (const [event, listener] of listeners) model.off(event, listener);
  };
}
