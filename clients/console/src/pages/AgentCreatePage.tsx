import { useState, type FormEvent } from 'react';
import { Alert, Anchor, Button, Group, MultiSelect, Stack, TagsInput, Textarea, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { v4 as uuid } from 'uuid';
import { agents, knowledge, tools } from '../api/transport';
import { allPages } from '../api/all-pages';
import { useSession } from '../session/session.context';
import { useMutationForm } from '../components/use-mutation-form';
import type { Tool } from '../gen/aos/v1/tool_pb';
import { money } from './budget-spend';

/** Every item of a paged list as picker options: an agent may name any of them. */
function everyOption(
  key: string[],
  enabled: boolean,
  page: (pageToken: string) => Promise<{ options: { value: string; label: string }[]; nextPageToken: string }>,
) {
  return {
    queryKey: key,
    enabled,
    queryFn: () =>
      allPages(async (pageToken) => {
        const p = await page(pageToken);
        return { items: p.options, nextPageToken: p.nextPageToken };
      }),
  };
}

/** The form, for those who may create agents; anyone else is told so instead of filling in a form the gateway refuses. */
export function AgentCreatePage() {
  const { can } = useSession();
  if (!can('agents.create')) {
    return (
      <Stack maw={640}>
        <Title order={1}>Create an agent</Title>
        <Alert color="yellow" title="You may not create agents">
          Your role does not include agents.create. An administrator can give you a role that does.{' '}
          <Anchor component={Link} to="/agents">
            Back to the agents
          </Anchor>
        </Alert>
      </Stack>
    );
  }
  return <AgentCreateForm />;
}

function AgentCreateForm() {
  const { can } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [capabilities, setCapabilities] = useState<string[]>([]);
  const [model, setModel] = useState('');
  const [instructions, setInstructions] = useState('');
  const [toolIds, setToolIds] = useState<string[]>([]);
  const [knowledgeBaseIds, setKnowledgeBaseIds] = useState<string[]>([]);
  const form = useMutationForm();

  const toolOptions = useQuery(
    everyOption(['tools', 'all'], can('tools.list'), async (pageToken) => {
      const p = await tools.listTools({ pageSize: 1000, pageToken });
      return { options: p.tools.map((t) => ({ value: t.id, label: toolLabel(t) })), nextPageToken: p.nextPageToken };
    }),
  );
  const knowledgeOptions = useQuery(
    everyOption(['knowledgeBases', 'all'], can('knowledge.read'), async (pageToken) => {
      const p = await knowledge.listKnowledgeBases({ pageSize: 1000, pageToken });
      return { options: p.knowledgeBases.map((k) => ({ value: k.id, label: k.name })), nextPageToken: p.nextPageToken };
    }),
  );

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      form.setError('Give the agent a name (agent.name).');
      return;
    }
    await form.run(async () => {
      const agent = await agents.createAgent({
        requestId: uuid(),
        agent: {
          name: name.trim(),
          description,
          capabilities,
          model,
          instructions,
          toolIds,
          knowledgeBaseIds,
        },
      });
      await queryClient.invalidateQueries({ queryKey: ['agents'] });
      navigate(`/agents/${agent.id}`);
    });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack maw={640}>
        <Title order={1}>Create an agent</Title>
        <TextInput
          label="Name"
          description="Lower-case letters, digits and dashes, e.g. invoice-bot"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          required
        />
        <Textarea
          label="What it does"
          description="One or two sentences; the router reads this to pick the agent for a task"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          autosize
          minRows={2}
        />
        <TagsInput
          label="Capabilities"
          description="Press Enter after each, e.g. invoices, refunds"
          value={capabilities}
          onChange={setCapabilities}
        />
        <TextInput
          label="Model"
          description="Leave empty for the system's default model"
          value={model}
          onChange={(e) => setModel(e.currentTarget.value)}
        />
        <Textarea
          label="Instructions"
          description="How it should work, in plain words"
          value={instructions}
          onChange={(e) => setInstructions(e.currentTarget.value)}
          autosize
          minRows={3}
        />
        {can('tools.list') && (
          <MultiSelect
            label="Tools"
            placeholder={toolOptions.data?.length ? 'Pick tools' : 'No tools registered'}
            data={toolOptions.data ?? []}
            value={toolIds}
            onChange={setToolIds}
            searchable
          />
        )}
        {can('knowledge.read') && (
          <MultiSelect
            label="Knowledge bases"
            placeholder={knowledgeOptions.data?.length ? 'Pick knowledge bases' : 'No knowledge bases yet'}
            data={knowledgeOptions.data ?? []}
            value={knowledgeBaseIds}
            onChange={setKnowledgeBaseIds}
            searchable
          />
        )}
        {form.error && (
          <Alert color="red" role="alert" title="The agent was not created">
            {form.error}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={form.busy}>
            Create agent
          </Button>
          <Button variant="default" onClick={() => navigate('/agents')}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** A tool as the picker shows it: its name, and its price per call when it has one (in dollars, as the overview's spend). */
function toolLabel(tool: Tool): string {
  return tool.priceMicros > 0n ? `${tool.name} (${money(tool.priceMicros)} per call)` : tool.name;
}
