import { describe, it } from 'vitest';
import { describeEventStoreContract } from '../src/contract-suite';
import { createEsdbEventStore } from '../src/index';

const url = process.env.AOS_ESDB_URL;

if (url) {
  describeEventStoreContract('EventStoreDB', async () => {
    const store = await createEsdbEventStore({ connectionString: url });
    return { store, teardown: () => store.close() };
  });
} else {
  console.log('EventStoreDB contract suite skipped: AOS_ESDB_URL is not set');
  describe.skip('EventStore contract: EventStoreDB', () => {
    it('needs AOS_ESDB_URL pointing at an EventStoreDB server', () => undefined);
  });
}
