import { Group, Loader, VisuallyHidden } from '@mantine/core';

/** A spinner that screen readers announce as what is being waited for. */
export function LoadingIndicator({ label }: { label: string }) {
  return (
    <Group role="status" gap={0}>
      <Loader size="sm" />
      <VisuallyHidden>{label}</VisuallyHidden>
    </Group>
  );
}
