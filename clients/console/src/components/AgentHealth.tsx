import { Group, Text } from '@mantine/core';
import { healthInWords } from '@aos/domain';
import { HealthStatus, type Agent } from '../gen/aos/v1/agent_pb';
import { StateBadge } from './StateBadge';

/** The agent's health by name; a reply without one is UNKNOWN, as the API says. */
export function healthName(agent: Agent): string {
  return HealthStatus[agent.health?.status || HealthStatus.UNKNOWN];
}

/** "1 of 4 recent runs failed: CODE: reason", "no run ended yet", … (from its newest 10 runs). */
export function healthText(agent: Agent): string {
  return healthInWords(agent.health ?? { recentRuns: 0, recentFailures: 0, lastFailure: '' });
}

/** The health badge beside what it means in words; long failures are cut to `lines` lines (the agent page shows all). */
export function AgentHealth({ agent, lines }: { agent: Agent; lines?: number }) {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start">
      <StateBadge state={healthName(agent)} />
      <Text size="sm" lineClamp={lines} style={{ overflowWrap: 'anywhere' }}>
        {healthText(agent)}
      </Text>
    </Group>
  );
}
