import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');
export const bookFixtures = path.resolve(repoRoot, '../shared/fixtures/book');
