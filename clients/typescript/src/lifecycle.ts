/**
 * The page's lifecycle, where there is a page: `visibilitychange` to hidden and `pagehide` are the
 * last moments a page is sure to run code before it is closed, reloaded, navigated away from or
 * discarded (a `beforeunload` or `unload` handler may never run on mobile). Without a document
 * (Node.js, a worker) nothing is attached.
 */

interface PageLike {
  document: {
    visibilityState: string;
    addEventListener: Document["addEventListener"];
    removeEventListener: Document["removeEventListener"];
  };
  addEventListener: Window["addEventListener"];
  removeEventListener: Window["removeEventListener"];
}

function page(): PageLike | undefined {
  const candidate = globalThis as Partial<PageLike>;
  if (
    typeof candidate.document?.addEventListener !== "function" ||
    typeof candidate.addEventListener !== "function"
  ) {
    return undefined;
  }
  return candidate as PageLike;
}

/** Calls `hidden` when the page is hidden or being unloaded, and `shown` when it is visible
 * again (or restored from the back/forward cache). Answers how to detach both. */
export function watchPage(hidden: () => void, shown: () => void): () => void {
  const found = page();
  if (found === undefined) {
    return () => undefined;
  }
  const onVisibility = (): void => {
    if (found.document.visibilityState === "hidden") {
      hidden();
    } else {
      shown();
    }
  };
  found.document.addEventListener("visibilitychange", onVisibility);
  found.addEventListener("pagehide", hidden);
  found.addEventListener("pageshow", shown);
  return () => {
    found.document.removeEventListener("visibilitychange", onVisibility);
    found.removeEventListener("pagehide", hidden);
    found.removeEventListener("pageshow", shown);
  };
}
