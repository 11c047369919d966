import { useState, type FormEvent } from 'react';
import { Button, Group, SegmentedControl, Stack, Text, TextInput, Title } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { ContextScopeEntries } from './context/ContextScopeEntries';

type ScopeKind = 'tenant' | 'team' | 'task';

const KINDS: { value: ScopeKind; label: string }[] = [
  { value: 'tenant', label: 'Tenant' },
  { value: 'team', label: 'Team' },
  { value: 'task', label: 'Task' },
];

const NAME_FIELD: Record<Exclude<ScopeKind, 'tenant'>, { label: string; description: string }> = {
  team: { label: 'Team label', description: 'An agent is in the teams its label "team" lists, e.g. sales' },
  task: { label: 'Correlation id', description: 'The request whose agents share this scratchpad' },
};

/** `team/sales` → team and sales; the service says what is wrong with a scope, so this only splits it. */
function splitScope(scope: string): { kind: ScopeKind; name: string } {
  const slash = scope.indexOf('/');
  const kind = slash < 0 ? scope : scope.slice(0, slash);
  if (kind === 'team' || kind === 'task') return { kind, name: scope.slice(slash + 1) };
  return { kind: 'tenant', name: '' };
}

function ScopePicker({ scope, onOpen }: { scope: string; onOpen: (scope: string) => void }) {
  const [kind, setKind] = useState(() => splitScope(scope).kind);
  const [name, setName] = useState(() => splitScope(scope).name);

  function open(event: FormEvent) {
    event.preventDefault();
    onOpen(kind === 'tenant' ? 'tenant' : `${kind}/${name.trim()}`);
  }

  return (
    <form onSubmit={open} noValidate aria-label="Pick a scope">
      <Group align="flex-end">
        <Stack gap={4}>
          <Text size="sm" fw={500} id="context-scope-kind-label">
            Scope
          </Text>
          <SegmentedControl
            aria-labelledby="context-scope-kind-label"
            value={kind}
            onChange={(v) => setKind(v as ScopeKind)}
            data={KINDS}
          />
        </Stack>
        {kind !== 'tenant' && (
          <TextInput
            label={NAME_FIELD[kind].label}
            description={NAME_FIELD[kind].description}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={128}
            w={300}
          />
        )}
        <Button type="submit">Open scope</Button>
      </Group>
    </form>
  );
}

/** Shared context: pick a scope, read and follow its entries, and (with context.write) put and delete values. */
export function ContextPage() {
  const [params, setParams] = useSearchParams();
  const scope = params.get('scope') || 'tenant';
  return (
    <Stack>
      <Title order={1}>Context</Title>
      <Text size="sm">
        Small JSON values that agents, people and apps share under a key, in a scope: the whole tenant, a team, or the
        agents working on one request. Every change is a new version.
      </Text>
      {/* Keyed by the scope (each its own key: siblings' keys must differ), so another scope starts afresh. */}
      <ScopePicker key={`picker ${scope}`} scope={scope} onOpen={(s) => setParams({ scope: s })} />
      <ContextScopeEntries key={`entries ${scope}`} scope={scope} />
    </Stack>
  );
}
