declare module 'wink-lemmatizer' {
  /** WordNet's base form of an inflected word ("paid" → "pay"), or the word itself. */
  const lemmatize: {
    noun(word: string): string;
    verb(word: string): string;
    adjective(word: string): string;
  };
  export default lemmatize;
}
