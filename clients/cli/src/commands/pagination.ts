/**
 * Follows next_page_token until the last page and returns every item plus the
 * last page (for its other fields, e.g. total_size).
 */
export async function fetchAllPages<Page extends { nextPageToken: string }, Item>(
  fetchPage: (pageToken: string) => Promise<Page>,
  itemsOf: (page: Page) => Item[],
  firstPageToken = '',
): Promise<{ items: Item[]; lastPage: Page }> {
  const items: Item[] = [];
  let page = await fetchPage(firstPageToken);
  items.push(...itemsOf(page));
  while (page.nextPageToken) {
    page = await fetchPage(page.nextPageToken);
    items.push(...itemsOf(page));
  }
  return { items, lastPage: page };
}
