import { Component, type ReactNode } from 'react';
import { Alert, Button, Code, Group, Stack, Text } from '@mantine/core';
import { retryFailedPages } from './lazy-page';

/** The browsers' words for a page's code file that could not be fetched (Chromium, Firefox, Safari). */
const CODE_NOT_FETCHED = /dynamically imported module|Importing a module script failed/i;

/**
 * What a page that failed shows instead of an empty window: its code could
 * not be fetched (the console was rebuilt or upgraded since this tab loaded
 * it, or the gateway is gone) or it threw while rendering. The shell around it
 * stays; "Try again" renders the page again (a page whose code failed to load
 * fetches it anew, see lazy-page.tsx), and reloading loads the newest console.
 */
export class PageErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  constructor(props: { children: ReactNode }) {
    super(props);
    // A new boundary is a page opened (the shell keys it by address): a page that failed before is fetched anew.
    retryFailedPages();
  }

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const codeMissing = CODE_NOT_FETCHED.test(error.message);
    return (
      <Alert color="red" role="alert" title="This page could not be shown">
        <Stack gap="xs" align="flex-start">
          <Text size="sm">
            {codeMissing
              ? 'The console was updated since this tab was opened (or the gateway could not be reached), so this page could not be fetched. Reload the console to get the new version.'
              : 'Something went wrong while showing this page. Try again, or reload the console.'}
          </Text>
          <details>
            <summary>Technical details</summary>
            <Code block>{error.message}</Code>
          </details>
          <Group gap="xs">
            <Button size="xs" onClick={() => window.location.reload()}>
              Reload the console
            </Button>
            <Button
              size="xs"
              variant="default"
              onClick={() => {
                retryFailedPages();
                this.setState({ error: null });
              }}
            >
              Try again
            </Button>
          </Group>
        </Stack>
      </Alert>
    );
  }
}
