import { useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Card, Checkbox, Group, List, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { commands } from '../api/transport';
import { errorWords } from '../api/error-words';
import { Interpreter, StepStatus, type Execution, type Plan, type PlanStep } from '../gen/aos/v1/command_pb';
import { ToolRisk } from '../gen/aos/v1/tool_pb';
import { ConfirmButton } from '../components/ConfirmButton';
import { useSession } from '../session/session.context';

const RISK_COLOR: Record<number, string> = {
  [ToolRisk.READ]: 'gray',
  [ToolRisk.WRITE]: 'blue',
  [ToolRisk.DESTRUCTIVE]: 'red',
};
const RISK_WORDS: Record<number, string> = {
  [ToolRisk.READ]: 'READ — changes nothing',
  [ToolRisk.WRITE]: 'WRITE — can be changed back',
  [ToolRisk.DESTRUCTIVE]: 'DESTRUCTIVE — cannot be undone',
};
const INTERPRETER_WORDS: Record<number, string> = {
  [Interpreter.PARSER]: 'the command grammar’s parser (no model)',
  [Interpreter.MODEL]: 'a language model, with names resolved by code',
};
const STATUS_WORDS: Record<number, string> = {
  [StepStatus.STEP_SUCCEEDED]: '✓ Done',
  [StepStatus.STEP_FAILED]: '✗ Failed',
  [StepStatus.STEP_NOT_RUN]: 'Not run',
};

// Mantine tints an alert's title with its colour: green and yellow on their light backgrounds fall below 4.5:1.
const READABLE_TITLE = { title: { color: 'var(--mantine-color-gray-9)' } };

function RiskBadge({ risk }: { risk: ToolRisk }) {
  return (
    <Badge color={RISK_COLOR[risk] ?? 'gray'} variant="light" c="gray.9" title={RISK_WORDS[risk]}>
      {ToolRisk[risk]}
    </Badge>
  );
}

function PlanSteps({ steps, execution }: { steps: PlanStep[]; execution: Execution | undefined }) {
  return (
    <Table withTableBorder aria-label="Plan steps">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>#</Table.Th>
          <Table.Th>What it does</Table.Th>
          <Table.Th>Risk</Table.Th>
          <Table.Th>Permission</Table.Th>
          <Table.Th>You may</Table.Th>
          {execution && <Table.Th>Outcome</Table.Th>}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {steps.map((s) => {
          const outcome = execution?.outcomes.find((o) => o.index === s.index);
          return (
            <Table.Tr key={s.index} data-testid={`plan-step-${s.index}`}>
              <Table.Td>{s.index + 1}</Table.Td>
              <Table.Td>
                <Text size="sm">{s.preview}</Text>
                <Text size="xs" c="gray.7">
                  {s.service}.{s.method}
                </Text>
              </Table.Td>
              <Table.Td>
                <RiskBadge risk={s.risk} />
              </Table.Td>
              <Table.Td>
                <Text size="sm">{s.permission}</Text>
                {s.resource && (
                  <Text size="xs" c="gray.7">
                    on {s.resource}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Text
                  size="sm"
                  aria-label={s.permitted ? 'permitted' : 'not permitted'}
                  title={s.permissionExplanation}
                >
                  {s.permitted ? '✓ permitted' : '✗ not permitted'}
                </Text>
                {!s.permitted && s.permissionExplanation && (
                  <Text size="xs" c="gray.7">
                    {s.permissionExplanation}
                  </Text>
                )}
              </Table.Td>
              {execution && (
                <Table.Td data-testid={`step-outcome-${s.index}`}>
                  <Text size="sm">{outcome ? STATUS_WORDS[outcome.status] : '—'}</Text>
                  {outcome?.summary && <Text size="xs">{outcome.summary}</Text>}
                  {outcome?.status === StepStatus.STEP_FAILED && (
                    <Text size="xs">
                      {outcome.message} ({outcome.code})
                    </Text>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

function RunPlan({ plan, onRan }: { plan: Plan; onRan: (e: Execution) => void }) {
  const destructive = plan.steps.filter((s) => s.risk === ToolRisk.DESTRUCTIVE);
  const [understood, setUnderstood] = useState(false);
  const steps = `${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}`;
  return (
    <Stack gap="xs">
      {destructive.length > 0 && (
        <Checkbox
          checked={understood}
          onChange={(e) => setUnderstood(e.currentTarget.checked)}
          label={`I understand these steps cannot be undone: ${destructive.map((s) => `${s.index + 1}. ${s.preview}`).join('; ')}`}
        />
      )}
      <Group>
        <ConfirmButton
          label="Run plan"
          color={destructive.length ? 'red' : undefined}
          disabled={destructive.length > 0 && !understood}
          title={`Run this plan (${steps})?`}
          onConfirm={async () =>
            onRan(
              await commands.execute({
                planId: plan.id,
                digest: plan.digest,
                confirmDestructive: destructive.length > 0,
              }),
            )
          }
        >
          Each step runs as you, in order, and the run stops at the first step that fails.
        </ConfirmButton>
      </Group>
    </Stack>
  );
}

function PlanView({ plan }: { plan: Plan }) {
  const { can } = useSession();
  const [execution, setExecution] = useState<Execution | undefined>();
  const refused = plan.steps.filter((s) => !s.permitted);
  const runnable = plan.executable && refused.length === 0 && can('commands.execute');
  return (
    <Card withBorder component="section" aria-label="Plan">
      <Stack>
        <Title order={2} size="h4">
          The plan
        </Title>
        <Text size="sm">
          “{plan.text}” — read by {INTERPRETER_WORDS[plan.interpreter] ?? 'an unknown interpreter'}
          {plan.fallbackReason && ` (the model’s proposal was not used: ${plan.fallbackReason})`}.
        </Text>
        {plan.steps.length > 0 ? (
          <PlanSteps steps={plan.steps} execution={execution} />
        ) : (
          <Text size="sm">The sentence gave no step to run.</Text>
        )}
        {plan.questions.length > 0 && (
          <Alert color="yellow" title="Questions to settle before this can run" c="gray.9" styles={READABLE_TITLE}>
            <List>
              {plan.questions.map((q) => (
                <List.Item key={q.text}>
                  {q.text}
                  {q.options.length > 0 && ` Options: ${q.options.join('; ')}`}
                </List.Item>
              ))}
            </List>
            <Text size="sm" mt="xs">
              Say it again with the answer in the sentence.
            </Text>
          </Alert>
        )}
        {plan.notes.length > 0 && (
          <Stack gap={2} aria-label="Notes">
            {plan.notes.map((n) => (
              <Text key={n} size="sm">
                Note: {n}
              </Text>
            ))}
          </Stack>
        )}
        {plan.executable && refused.length > 0 && (
          <Alert color="red" title="You may not run this plan">
            {refused.length} of its steps need a permission your roles do not grant:{' '}
            {refused.map((s) => s.permission).join(', ')}.
          </Alert>
        )}
        {execution ? (
          <Alert
            color={execution.succeeded ? 'green' : 'red'}
            c="gray.9"
            styles={READABLE_TITLE}
            role="status"
            title={execution.succeeded ? 'Every step succeeded' : 'The plan stopped at a failed step'}
          >
            See each step’s outcome in the table.
          </Alert>
        ) : (
          runnable && <RunPlan plan={plan} onRan={setExecution} />
        )}
      </Stack>
    </Card>
  );
}

/** A sentence in, the plan it becomes with its risks and permissions, run on confirmation. */
export function CommandBarPage() {
  const [text, setText] = useState('');
  const interpret = useMutation({ mutationFn: (sentence: string) => commands.interpret({ text: sentence }) });

  function submit(e: FormEvent) {
    e.preventDefault();
    if (text.trim()) interpret.mutate(text.trim());
  }

  return (
    <Stack>
      <Title order={1}>Command bar</Title>
      <form onSubmit={submit}>
        <Stack gap="xs">
          <Textarea
            label="Say what should be done"
            description="For example: create an agent called invoice-bot that handles invoices and deploy it"
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) submit(e);
            }}
            maxLength={2000}
            autosize
            minRows={2}
          />
          <Group>
            <Button type="submit" loading={interpret.isPending} disabled={!text.trim()}>
              Show the plan
            </Button>
          </Group>
        </Stack>
      </form>
      {interpret.isError && (
        <Alert color="red" role="alert">
          {errorWords(interpret.error)}
        </Alert>
      )}
      {interpret.data && <PlanView key={interpret.data.id} plan={interpret.data} />}
    </Stack>
  );
}
