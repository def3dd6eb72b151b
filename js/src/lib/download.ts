/** Offer text or a Blob as a file download, made in the page: nothing is fetched. */

/** Offer `text` as a file download (a Blob URL, revoked once clicked). */
export function download(filename: string, type: string, text: string): void {
  downloadBlob(filename, new Blob([text], { type }));
}

/** Offer `blob` as a file download through a hidden `<a download>` (its URL revoked once clicked). */
export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
