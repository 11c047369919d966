import { useState, type FormEvent } from 'react';
import { nameBesideId } from '@aos/domain';
import { Alert, Button, Card, Group, Mark, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { knowledge } from '../../api/transport';
import { QueryState } from '../../components/QueryState';
import type { SearchResult } from '../../gen/aos/v1/knowledge_pb';

function SearchResultCard({ result, knowledgeBaseName }: { result: SearchResult; knowledgeBaseName: string }) {
  const c = result.citation;
  return (
    <Card withBorder component="li" aria-label={`Result from ${c?.documentTitle || c?.documentId}`}>
      <Group justify="space-between" wrap="nowrap">
        <Text fw={600}>{c?.documentTitle || c?.documentId}</Text>
        <Text size="sm">score {result.score.toFixed(2)}</Text>
      </Group>
      <Text size="sm" data-testid="citation">
        Cited from {knowledgeBaseName} / {nameBesideId(c?.documentTitle, c?.documentId ?? '')} version{' '}
        {String(c?.documentVersion)}, section {(c?.chunkIndex ?? 0) + 1}, characters {String(c?.startOffset)}–
        {String(c?.endOffset)}
      </Text>
      <Text size="sm" mt="xs" style={{ whiteSpace: 'pre-wrap' }}>
        <Mark color="gray.2">{result.snippet}</Mark>
      </Text>
      <Text size="xs" c="gray.7">
        snippet at characters {String(result.snippetStartOffset)}–{String(result.snippetEndOffset)}
      </Text>
    </Card>
  );
}

/** One box that searches the knowledge bases the caller may read, every result with its citation. */
export function KnowledgeSearch({ names }: { names: ReadonlyMap<string, string> }) {
  const [draft, setDraft] = useState('');
  const [query, setQuery] = useState('');
  const search = useQuery({
    queryKey: ['knowledgeSearch', query],
    enabled: query !== '',
    queryFn: () => knowledge.search({ query, topK: 10 }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setQuery(draft.trim());
  }

  return (
    <Stack component="section" aria-labelledby="knowledge-search-title">
      <Title order={2} id="knowledge-search-title" size="h3">
        Search
      </Title>
      <form onSubmit={submit} role="search">
        <Group align="flex-end">
          <TextInput
            label="Search the knowledge bases"
            value={draft}
            onChange={(e) => setDraft(e.currentTarget.value)}
            maxLength={2000}
            w={480}
          />
          <Button type="submit" disabled={!draft.trim()}>
            Search
          </Button>
        </Group>
      </form>
      <QueryState query={search} what="search results" />
      {search.data && search.data.results.length === 0 && <Alert>Nothing matches “{query}”.</Alert>}
      {search.data && search.data.results.length > 0 && (
        <Stack component="ol" aria-label="Search results" p={0} style={{ listStyle: 'none' }}>
          {search.data.results.map((r) => (
            <SearchResultCard
              key={`${r.citation?.documentId}-${r.citation?.chunkIndex}`}
              result={r}
              knowledgeBaseName={names.get(r.citation?.knowledgeBaseId ?? '') ?? r.citation?.knowledgeBaseId ?? ''}
            />
          ))}
        </Stack>
      )}
    </Stack>
  );
}
