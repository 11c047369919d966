import { useMemo, useState, type FormEvent } from 'react';
import { Alert, Anchor, Button, Group, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { v4 as uuid } from 'uuid';
import { knowledge } from '../api/transport';
import { MutationError } from '../components/MutationError';
import { useMutationForm } from '../components/use-mutation-form';
import { PagerButtons, usePageTokens } from '../components/page-token-pager';
import { QueryState } from '../components/QueryState';
import { useSession } from '../session/session.context';
import { KnowledgeBaseDocuments } from './knowledge/KnowledgeBaseDocuments';
import { KnowledgeSearch } from './knowledge/KnowledgeSearch';

const PAGE_SIZE = 25;

function CreateKnowledgeBaseForm({ onCreated }: { onCreated: (id: string) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const form = useMutationForm();

  async function create(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      form.setError('Give the knowledge base a name (knowledge_base.name).');
      return;
    }
    await form.run(async () => {
      const kb = await knowledge.createKnowledgeBase({
        knowledgeBase: { name: name.trim(), description },
        requestId: uuid(),
      });
      setName('');
      setDescription('');
      await queryClient.invalidateQueries({ queryKey: ['knowledgeBases'] });
      onCreated(kb.id);
    });
  }

  return (
    <form onSubmit={create} noValidate aria-label="Create a knowledge base">
      <Group align="flex-start">
        <TextInput
          label="Name"
          description="Lower-case letters, digits, - and _"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          maxLength={64}
          w={240}
        />
        <Textarea
          label="Description"
          description="What it holds"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          maxLength={2000}
          autosize
          minRows={1}
          w={360}
        />
        <Button type="submit" loading={form.busy} mt={42}>
          Create knowledge base
        </Button>
      </Group>
      <MutationError error={form.error} />
    </form>
  );
}

export function KnowledgePage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const selectedId = params.get('kb');
  const pager = usePageTokens();
  const list = useQuery({
    queryKey: ['knowledgeBases', pager.token],
    placeholderData: keepPreviousData,
    queryFn: () => knowledge.listKnowledgeBases({ pageSize: PAGE_SIZE, pageToken: pager.token }),
  });
  const selected = useQuery({
    queryKey: ['knowledgeBases', 'one', selectedId],
    enabled: !!selectedId,
    queryFn: () => knowledge.getKnowledgeBase({ id: selectedId! }),
  });
  const names = useMemo(() => new Map((list.data?.knowledgeBases ?? []).map((kb) => [kb.id, kb.name])), [list.data]);

  return (
    <Stack>
      <Title order={1}>Knowledge</Title>
      <Text size="sm">Documents agents and people search, every answer cited to the text it comes from.</Text>
      <KnowledgeSearch names={names} />
      <Stack component="section" aria-labelledby="knowledge-bases-title">
        <Title order={2} id="knowledge-bases-title" size="h3">
          Knowledge bases
        </Title>
        {can('knowledge.create') && <CreateKnowledgeBaseForm onCreated={(id) => setParams({ kb: id })} />}
        <QueryState query={list} what="knowledge bases" />
        {list.data && list.data.knowledgeBases.length === 0 && <Alert>No knowledge bases yet.</Alert>}
        {list.data && list.data.knowledgeBases.length > 0 && (
          <>
            <Table.ScrollContainer minWidth={0} type="native">
              <Table striped highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Description</Table.Th>
                    <Table.Th>Documents</Table.Th>
                    <Table.Th>Sections</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.data.knowledgeBases.map((kb) => (
                    <Table.Tr key={kb.id} aria-current={kb.id === selectedId ? 'true' : undefined}>
                      <Table.Td>
                        <Anchor component={Link} to={`?kb=${kb.id}`}>
                          {kb.name}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{kb.description}</Table.Td>
                      <Table.Td>{kb.documentCount}</Table.Td>
                      <Table.Td>{kb.chunkCount}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <PagerButtons pager={pager} nextPageToken={list.data.nextPageToken} label="Knowledge bases" />
          </>
        )}
      </Stack>
      {selectedId && <QueryState query={selected} what="the knowledge base" />}
      {selected.data && <KnowledgeBaseDocuments key={selected.data.id} knowledgeBase={selected.data} />}
    </Stack>
  );
}
