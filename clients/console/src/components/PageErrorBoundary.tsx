import { Component, type ReactNode } from 'react';
import { Alert, Button, Stack, Text } from '@mantine/core';

/**
 * What a page that failed shows instead of an empty window: its code could
 * not be fetched (the console was rebuilt or upgraded since this tab loaded
 * it, or the gateway is gone) or it threw while rendering. The shell around it
 * stays; opening another page, or reloading, tries again.
 */
export class PageErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <Alert color="red" role="alert" title="This page could not be shown">
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{error.message}</Text>
          <Button size="xs" onClick={() => window.location.reload()}>
            Reload the console
          </Button>
        </Stack>
      </Alert>
    );
  }
}
