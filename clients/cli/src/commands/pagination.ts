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

/** What a paged list command needs to print one page, or every page with --all. */
export interface PagedList<Page extends { nextPageToken: string }, Item> {
  /** Annotate `pageToken: string` at the call site: an untyped parameter would stop TypeScript inferring Page from it. */
  fetchPage: (pageToken: string) => Promise<Page>;
  /** The repeated field of the reply, e.g. 'principals'; `itemsOf` reads it. */
  field: NoInfer<keyof Page & string>;
  itemsOf: (page: NoInfer<Page>) => Item[];
  /** May look names up first (NameRefs), hence a promise. */
  render: (items: readonly Item[]) => string | Promise<string>;
  /** For the count line, e.g. 'principal'. */
  noun: string;
}

/** For lists printed whole: `printPagedList(ctx, EVERY_PAGE, …)` follows every page. */
export const EVERY_PAGE = { all: true } as const;

/**
 * Prints a list reply: the page asked for (with a hint when there are more) or,
 * with `all`, every page's items as one list. JSON keeps the reply's shape.
 */
export async function printPagedList<Page extends { nextPageToken: string }, Item>(
  out: { json: boolean; write(text: string): void; writeJson(value: unknown): void },
  flags: { pageToken?: string; all?: boolean },
  list: PagedList<Page, Item>,
): Promise<void> {
  const { itemsOf } = list;
  if (flags.all) {
    const { items, lastPage } = await fetchAllPages(list.fetchPage, itemsOf, flags.pageToken);
    if (out.json) out.writeJson({ ...lastPage, [list.field]: items });
    else out.write((await list.render(items)) + `${items.length} ${list.noun}(s)\n`);
    return;
  }
  const page = await list.fetchPage(flags.pageToken ?? '');
  if (out.json) {
    out.writeJson(page);
    return;
  }
  out.write(await list.render(itemsOf(page)));
  if (page.nextPageToken) out.write(`more: --page-token ${page.nextPageToken} (or --all)\n`);
}
