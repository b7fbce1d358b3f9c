import { join } from 'node:path';
import { cycles, importGraph } from '../../scripts/check-imports';

describe('the import-cycle check', () => {
  it('finds a cycle made only of type imports, naming every file in it', () => {
    // Given a -> b -> c -> a, and d outside the loop
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
    ]);
    // When the components are computed, then exactly the loop is reported
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('reports nothing for a tree', () => {
    expect(
      cycles(
        new Map([
          ['a.ts', ['b.ts', 'c.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('sees type-only imports and re-exports in the project, and the project has no cycle', () => {
    const root = join(__dirname, '..', '..');
    const graph = importGraph(root);
    const ports = join(root, 'lambda', 'core', 'ports.ts');
    const model = join(root, 'lambda', 'core', 'model.ts');
    // ports.ts imports its shared types from model.ts with `import type` only
    expect(graph.get(ports)).toContain(model);
    expect(cycles(graph)).toEqual([]);
  });
});
