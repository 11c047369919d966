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
  WITHDRAWN: 'dark',
  HEALTHY: 'green',
  DEGRADED: 'yellow',
  UNHEALTHY: 'red',
  UNKNOWN: 'gray',
};

/** A state name (ACTIVE, FAILED, …) as a coloured label; the colour is never the only cue. */
export function StateBadge({ state }: { state: string }) {
  return (
    // Tinted background, near-black text: Mantine's light variant colours the text too, below 4.5:1 for green, yellow and orange.
    // max-content: in a narrow table column the whole word shows (the table scrolls in its box), never "D…".
    <Badge color={COLORS[state] ?? 'gray'} variant="light" c="gray.9" miw="max-content">
      {state.replace(/_/g, ' ')}
    </Badge>
  );
}
