/** Every item of a token-paged list, for a count or a picker that must never be short. */
export async function allPages<T>(
  page: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let pageToken = '';
  do {
    const p = await page(pageToken);
    items.push(...p.items);
    pageToken = p.nextPageToken;
  } while (pageToken);
  return items;
}
