import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

/** How to fetch again each page whose code failed to load. */
const failed = new Set<() => void>();

/**
 * A page whose code is loaded when it is first visited: the entry chunk holds
 * only the sign-in page and the shell, and a page's libraries (the overview's
 * charts) come with the page that uses them.
 *
 * React.lazy keeps a failed load for good, so a page that failed once would
 * fail until a full reload. A failed page is remembered instead, and
 * `retryFailedPages` gives it a new lazy component, which fetches the file
 * again when next rendered. Not on its own: React renders a suspended
 * component again once its load settles, and a new load then would never end
 * in the error the page must show.
 */
export function lazyPage<K extends string>(load: () => Promise<Record<K, ComponentType> | undefined>, name: K) {
  const fresh = (): LazyExoticComponent<ComponentType> =>
    lazy(() =>
      load().then(
        (module) =>
          // No module: its file was gone and the console is reloading (see main.tsx); the loading indicator stays till then.
          module ? { default: module[name] } : new Promise<never>(() => undefined),
        (error: unknown) => {
          failed.add(() => {
            Loaded = fresh();
          });
          throw error;
        },
      ),
    );
  let Loaded = fresh();
  return function Page() {
    return <Loaded />;
  };
}

/** Makes every page whose code failed to load fetch it again when next shown ("Try again", or opening a page). */
export function retryFailedPages(): void {
  for (const retry of failed) retry();
  failed.clear();
}
