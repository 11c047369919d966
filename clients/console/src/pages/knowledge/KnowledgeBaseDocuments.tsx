import { useState } from 'react';
import { Alert, FileInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { v4 as uuid } from 'uuid';
import { knowledge } from '../../api/transport';
import { InlineMutationForm } from '../../components/InlineMutationForm';
import { RowRemoveButton } from '../../components/RowRemoveButton';
import { useMutationForm } from '../../components/use-mutation-form';
import { PagerButtons, usePageTokens } from '../../components/page-token-pager';
import { QueryState } from '../../components/QueryState';
import { timeText } from '../../components/time-text';
import type { KnowledgeBase } from '../../gen/aos/v1/knowledge_pb';
import { useSession } from '../../session/session.context';
import { ACCEPT, contentTypeOf, sizeError } from './document-upload';

const PAGE_SIZE = 25;

function UploadDocumentForm({ knowledgeBase }: { knowledgeBase: KnowledgeBase }) {
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const form = useMutationForm();

  async function upload() {
    if (!file) {
      form.setError('content: pick a file to upload.');
      return;
    }
    const type = contentTypeOf(file);
    const tooBig = sizeError(file);
    if ('error' in type || tooBig) {
      form.setError('error' in type ? type.error : tooBig);
      return;
    }
    await form.run(async () => {
      const content = new Uint8Array(await file.arrayBuffer());
      await knowledge.addDocument({
        knowledgeBaseId: knowledgeBase.id,
        title: title.trim(),
        contentType: type.contentType,
        content,
        requestId: uuid(),
      });
      setFile(null);
      setTitle('');
      await queryClient.invalidateQueries({ queryKey: ['knowledgeBases'] });
      await queryClient.invalidateQueries({ queryKey: ['documents', knowledgeBase.id] });
    });
  }

  return (
    <InlineMutationForm
      label="Upload a document"
      submitLabel="Upload"
      form={form}
      onSubmit={upload}
      align="flex-start"
      submitProps={{ mt: 42 }}
    >
      <FileInput
        label="Document"
        description="Markdown, plain text, HTML or PDF; at most 512 KiB"
        placeholder="Pick a file"
        accept={ACCEPT}
        value={file}
        onChange={setFile}
        clearable
        w={320}
      />
      <TextInput
        label="Title"
        description="Optional: else its first heading"
        value={title}
        onChange={(e) => setTitle(e.currentTarget.value)}
        maxLength={500}
        w={260}
      />
    </InlineMutationForm>
  );
}

/** A knowledge base's current documents: upload one, remove one after a confirmation. */
export function KnowledgeBaseDocuments({ knowledgeBase }: { knowledgeBase: KnowledgeBase }) {
  const { can } = useSession();
  const pager = usePageTokens();
  const list = useQuery({
    queryKey: ['documents', knowledgeBase.id, pager.token],
    placeholderData: keepPreviousData,
    queryFn: () =>
      knowledge.listDocuments({ knowledgeBaseId: knowledgeBase.id, pageSize: PAGE_SIZE, pageToken: pager.token }),
  });
  const canWrite = can('knowledge.write');

  return (
    <Stack component="section" aria-labelledby="documents-title">
      <Title order={2} id="documents-title" size="h3">
        Documents in {knowledgeBase.name}
      </Title>
      {knowledgeBase.description && <Text size="sm">{knowledgeBase.description}</Text>}
      {canWrite && <UploadDocumentForm knowledgeBase={knowledgeBase} />}
      <QueryState query={list} what="documents" />
      {list.data && list.data.documents.length === 0 && <Alert>No documents yet.</Alert>}
      {list.data && list.data.documents.length > 0 && (
        <>
          <Table.ScrollContainer minWidth={0} type="native">
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Title</Table.Th>
                  <Table.Th>Id</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Size</Table.Th>
                  <Table.Th>Sections</Table.Th>
                  <Table.Th>Added</Table.Th>
                  {canWrite && <Table.Th>Actions</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.documents.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>{d.title || '—'}</Table.Td>
                    <Table.Td>
                      {d.id} (v{String(d.version)})
                    </Table.Td>
                    <Table.Td>{d.contentType}</Table.Td>
                    <Table.Td>{String(d.sizeBytes)} bytes</Table.Td>
                    <Table.Td>{d.chunkCount}</Table.Td>
                    <Table.Td>{timeText(d.createTime)}</Table.Td>
                    {canWrite && (
                      <Table.Td>
                        <RowRemoveButton
                          label="Remove"
                          title={`Remove ${d.title || d.id}?`}
                          send={() =>
                            knowledge.removeDocument({
                              knowledgeBaseId: knowledgeBase.id,
                              documentId: d.id,
                              requestId: uuid(),
                            })
                          }
                          refresh={[['documents', knowledgeBase.id], ['knowledgeBases']]}
                        >
                          It no longer appears in search results; its versions stay in the log.
                        </RowRemoveButton>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <PagerButtons pager={pager} nextPageToken={list.data.nextPageToken} label="Documents" />
        </>
      )}
    </Stack>
  );
}
