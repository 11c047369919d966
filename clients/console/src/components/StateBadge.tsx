import { Badge } from '@mantine/core';

const COLORS: Record<string, string> = {
  DRAFT: 'gray',
  ACTIVE: 'green',
  PAUSED: 'yellow',
  RETIRED: 'dark',
  QUEUED: 'gray',
  ASSIGNED: 'blue',
  RUNNING: 'blue',
  WAITING_APPROVAL: 'orange',
  SUCCEEDED: 'green',
  FAILED: 'red',
  CANCELLED: 'dark',
  PENDING: 'orange',
  APPROVED: 'green',
  REJECTED: 'red',
  EXPIRED: 'dark',
};

/** A state name (ACTIVE, FAILED, …) as a coloured label; the colour is never the only cue. */
export function StateBadge({ state }: { state: string }) {
  return (
    <Badge color={COLORS[state] ?? 'gray'} variant="light">
      {state.replace(/_/g, ' ')}
    </Badge>
  );
}
