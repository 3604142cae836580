import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');
/** The book's trained weights and photo, shipped in the repository (see assets/book/README.md). */
export const bookFixtures = path.join(repoRoot, 'assets', 'book');
