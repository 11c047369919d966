import { useState, type FormEvent } from 'react';
import {
  Alert,
  Anchor,
  Button,
  Code,
  Group,
  Modal,
  Stack,
  Switch,
  Table,
  TextInput,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { toJson } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Link, useSearchParams } from 'react-router';
import { auditFilterParams, type AuditFilters } from './audit-link';
import { auditAtPosition } from './audit-integrity/audit-at';
import { IntegrityPanel } from './audit-integrity/IntegrityPanel';
import { useLiveAuditEvents } from './audit-live';
import { useSession } from '../session/session.context';
import {
  AGENT_EVENT_TYPES,
  CONTEXT_EVENT_TYPES,
  GOVERNANCE_EVENT_TYPES,
  KNOWLEDGE_EVENT_TYPES,
  PLAN_EVENT_TYPES,
  RUN_EVENT_TYPES,
  TASK_EVENT_TYPES,
  TOOL_EVENT_TYPES,
} from '@aos/domain';
import { audit } from '../api/transport';
import { EventSchema, type Event } from '../gen/aos/v1/audit_pb';
import { PagerButtons, usePageTokens } from '../components/page-token-pager';
import { SubjectWithName } from '../components/NameWithId';
import { QueryState } from '../components/QueryState';
import { timeText } from '../components/time-text';

const PAGE_SIZE = 50;

const NO_FILTERS: AuditFilters = { type: '', actorId: '', stream: '', from: '', to: '' };

// The published event types, offered as the type is typed: a person need not know them by heart.
const EVENT_TYPES = [
  ...new Set<string>([
    ...AGENT_EVENT_TYPES,
    ...TASK_EVENT_TYPES,
    ...RUN_EVENT_TYPES,
    ...GOVERNANCE_EVENT_TYPES,
    ...TOOL_EVENT_TYPES,
    ...KNOWLEDGE_EVENT_TYPES,
    ...CONTEXT_EVENT_TYPES,
    ...PLAN_EVENT_TYPES,
  ]),
].sort();

function filtersOf(params: URLSearchParams): AuditFilters {
  return {
    type: params.get('type') ?? '',
    actorId: params.get('actor') ?? '',
    stream: params.get('stream') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

/** A local date-time from the form, as the Timestamp ListEvents takes; unset when empty or not a date. */
function timestampOf(localDateTime: string | undefined) {
  if (!localDateTime) return undefined;
  const date = new Date(localDateTime);
  return Number.isNaN(date.getTime()) ? undefined : timestampFromDate(date);
}

/** The event as stored: its envelope in proto3 JSON, with its data as the JSON document it is. */
function envelopeText(event: Event): string {
  const json = toJson(EventSchema, event) as Record<string, unknown>;
  let data: unknown = event.dataJson;
  try {
    data = JSON.parse(event.dataJson);
  } catch {
    // Shown as the text it is.
  }
  delete json.dataJson;
  return JSON.stringify({ ...json, data }, null, 2);
}

function FilterForm({ applied, onApply }: { applied: AuditFilters; onApply: (f: AuditFilters) => void }) {
  const [draft, setDraft] = useState(applied);
  function submit(event: FormEvent) {
    event.preventDefault();
    onApply({
      type: draft.type.trim(),
      actorId: draft.actorId.trim(),
      stream: draft.stream.trim(),
      from: draft.from,
      to: draft.to,
    });
  }
  return (
    <Group component="form" onSubmit={submit} align="flex-end" aria-label="Filter events">
      {/* The browser's own suggestions: a plain labelled input, nothing more to operate. */}
      <TextInput
        label="Event type"
        placeholder="AgentDeployed"
        list="audit-event-types"
        autoComplete="off"
        value={draft.type}
        onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}
      />
      <datalist id="audit-event-types">
        {EVENT_TYPES.map((type) => (
          <option key={type} value={type} />
        ))}
      </datalist>
      <TextInput
        label="Actor id"
        value={draft.actorId}
        onChange={(e) => setDraft({ ...draft, actorId: e.currentTarget.value })}
      />
      <TextInput
        label="Stream"
        placeholder="agent-<id>"
        value={draft.stream}
        onChange={(e) => setDraft({ ...draft, stream: e.currentTarget.value })}
      />
      {/* Seconds too: the events of one minute can then be told apart. */}
      <TextInput
        label="From"
        type="datetime-local"
        step={1}
        value={draft.from}
        onChange={(e) => setDraft({ ...draft, from: e.currentTarget.value })}
      />
      <TextInput
        label="To"
        type="datetime-local"
        step={1}
        value={draft.to}
        onChange={(e) => setDraft({ ...draft, to: e.currentTarget.value })}
      />
      <Button type="submit">Apply filters</Button>
      <Button
        variant="default"
        onClick={() => {
          setDraft(NO_FILTERS);
          onApply(NO_FILTERS);
        }}
      >
        Clear
      </Button>
    </Group>
  );
}

export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  // From one event on (the integrity check's link to the first altered event), that event marked.
  const at = auditAtPosition(params);
  const [open, setOpen] = useState<Event | null>(null);
  const [live, setLive] = useState(false);
  const { can } = useSession();
  const pager = usePageTokens();
  const list = useQuery({
    queryKey: ['audit', filters, String(at ?? ''), pager.token],
    placeholderData: keepPreviousData,
    queryFn: () =>
      audit.listEvents({
        pageSize: PAGE_SIZE,
        pageToken: pager.token,
        eventTypes: filters.type ? [filters.type] : [],
        actorId: filters.actorId,
        stream: filters.stream,
        startTime: timestampOf(filters.from),
        endTime: timestampOf(filters.to),
        afterPosition: at === undefined ? 0n : at - 1n,
      }),
  });
  const shown = list.data?.events ?? [];
  // Live starts at the log's head as the list read it (ListEvents' head_position), fixed when Live is
  // switched on for these filters: only events newer than the listing come, never the rest of the log
  // the pager pages through (oldest first).
  const filterKey = JSON.stringify(filters);
  const [liveFrom, setLiveFrom] = useState<{ filterKey: string; after: bigint }>();
  const followFrom = live && liveFrom?.filterKey === filterKey ? liveFrom.after : undefined;
  if (live && followFrom === undefined && list.isSuccess && !list.isPlaceholderData) {
    setLiveFrom({ filterKey, after: list.data.headPosition });
  }
  const followed = useLiveAuditEvents(followFrom, filters);
  // A followed event the list read again (its last page, refetched) is shown once, at the top.
  const followedPositions = new Set(followed.events.map((e) => e.position));
  const rows = [...followed.events, ...shown.filter((e) => !followedPositions.has(e.position))];

  return (
    <Stack>
      <Title order={1}>Audit</Title>
      <IntegrityPanel />
      <FilterForm
        key={params.toString()}
        applied={filters}
        onApply={(f) => {
          setParams(auditFilterParams(f));
          pager.reset();
        }}
      />
      {can('audit.replay') && (
        <Switch
          label="Live: show new events at the top as they happen"
          checked={live}
          onChange={(e) => {
            setLive(e.currentTarget.checked);
            setLiveFrom(undefined);
          }}
        />
      )}
      {at !== undefined && (
        <Alert color="blue" c="blue.9">
          Showing the events from #{String(at)} on.{' '}
          <Anchor component={Link} to="/audit" size="sm">
            Show the whole trail
          </Anchor>
        </Alert>
      )}
      {followed.error && <Alert color="yellow">{followed.error}</Alert>}
      <QueryState query={list} what="events" />
      {list.data && rows.length === 0 && <Alert>No event matches.</Alert>}
      {list.data && rows.length > 0 && (
        <>
          <Table.ScrollContainer minWidth={0} type="native">
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Position</Table.Th>
                  <Table.Th>Time</Table.Th>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Stream</Table.Th>
                  <Table.Th>Actor</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((e) => (
                  <Table.Tr
                    key={String(e.position)}
                    bg={e.position === at ? 'yellow.1' : undefined}
                    aria-current={e.position === at ? 'true' : undefined}
                  >
                    <Table.Td>{String(e.position)}</Table.Td>
                    <Table.Td>{timeText(e.time)}</Table.Td>
                    <Table.Td>
                      <UnstyledButton onClick={() => setOpen(e)} td="underline" c="blue.8">
                        {e.type}
                      </UnstyledButton>
                    </Table.Td>
                    <Table.Td>{e.stream}</Table.Td>
                    <Table.Td>
                      {e.metadata?.actor ? (
                        <SubjectWithName subject={`${e.metadata.actor.kind}:${e.metadata.actor.id}`} />
                      ) : (
                        '—'
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <PagerButtons pager={pager} nextPageToken={list.data.nextPageToken} label="Audit events" />
        </>
      )}
      {open && (
        <Modal
          opened
          onClose={() => setOpen(null)}
          title={`${open.type} (position ${open.position})`}
          size="xl"
          closeButtonProps={{ 'aria-label': 'Close' }}
        >
          <Code block>{envelopeText(open)}</Code>
        </Modal>
      )}
    </Stack>
  );
}
