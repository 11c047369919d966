import { useState } from 'react';
import { Button, Group } from '@mantine/core';

/**
 * Pages through a list whose API pages with tokens: the tokens of the pages
 * already seen are kept, so "Previous" needs no second kind of cursor.
 */
export function usePageTokens() {
  const [tokens, setTokens] = useState<string[]>(['']);
  return {
    token: tokens[tokens.length - 1],
    pageNumber: tokens.length,
    next: (nextToken: string) => setTokens((t) => [...t, nextToken]),
    previous: () => setTokens((t) => (t.length > 1 ? t.slice(0, -1) : t)),
    reset: () => setTokens(['']),
  };
}

export function PagerButtons({
  pager,
  nextPageToken,
  label,
}: {
  pager: ReturnType<typeof usePageTokens>;
  nextPageToken: string | undefined;
  label: string;
}) {
  return (
    <Group justify="flex-end" component="nav" aria-label={`${label} pages`}>
      <Button variant="default" size="xs" onClick={pager.previous} disabled={pager.pageNumber === 1}>
        Previous page
      </Button>
      <span aria-live="polite">Page {pager.pageNumber}</span>
      <Button
        variant="default"
        size="xs"
        onClick={() => nextPageToken && pager.next(nextPageToken)}
        disabled={!nextPageToken}
      >
        Next page
      </Button>
    </Group>
  );
}
