import { closestName, editDistance } from '../../lambda/core/spelling';

describe('editDistance', () => {
  it.each([
    ['since', 'since', 0],
    ['sicne', 'since', 1], // one swap of neighbours
    ['Since', 'since', 0], // case is no slip
    ['alertEmial', 'alertEmails', 2],
    ['', 'abc', 3],
    ['workers', 'worker', 1],
    ['abc', 'xyz', 3],
  ])('%s to %s is %d', (from, to, expected) => {
    expect(editDistance(from, to)).toBe(expected);
    expect(editDistance(to, from)).toBe(expected);
  });
});

describe('closestName', () => {
  it('names the closest within the allowance, the first of equals, or nothing', () => {
    expect(closestName('sicne', ['until', 'since'], () => 1)).toBe('since');
    expect(closestName('ab', ['ax', 'ay'], () => 1)).toBe('ax');
    expect(closestName('zzz', ['since'], () => 2)).toBeUndefined();
    // Each candidate's own allowance: the closer name is not close enough for its length.
    expect(closestName('abcd', ['abc', 'abxy'], (c) => (c === 'abc' ? 0 : 2))).toBe('abxy');
  });
});
