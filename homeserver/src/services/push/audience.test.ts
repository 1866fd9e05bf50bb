import { describe, expect, it } from 'vitest';
import { cutToSpans, joinedSpans, spanRanges } from './audience.js';

describe('joined spans', () => {
  it('opens on a join, closes on anything else, in any input order, per room', () => {
    const spans = joinedSpans([
      { roomId: '!a', streamOrdering: 20, joined: false },
      { roomId: '!a', streamOrdering: 5, joined: true },
      { roomId: '!a', streamOrdering: 8, joined: true },
      { roomId: '!b', streamOrdering: 3, joined: false },
      { roomId: '!a', streamOrdering: 30, joined: true },
      { roomId: '!b', streamOrdering: 9, joined: true },
    ]);
    expect(spans.get('!a')).toEqual([{ from: 5, until: 20 }, { from: 30, until: null }]);
    expect(spans.get('!b')).toEqual([{ from: 9, until: null }]);
  });

  it('cuts (after, upTo] ranges to the spans, keeping thread and dropping what does not meet', () => {
    const spans = joinedSpans([
      { roomId: '!a', streamOrdering: 5, joined: true },
      { roomId: '!a', streamOrdering: 20, joined: false },
      { roomId: '!a', streamOrdering: 30, joined: true },
    ]);
    expect(cutToSpans([{ roomId: '!a', after: 10 }], spans)).toEqual([{ roomId: '!a', after: 10, upTo: 19 }, { roomId: '!a', after: 29 }]);
    expect(cutToSpans([{ roomId: '!a', after: 0, upTo: 6, threadId: '$t' }], spans)).toEqual([{ roomId: '!a', after: 4, upTo: 6, threadId: '$t' }]);
    expect(cutToSpans([{ roomId: '!a', after: 19, upTo: 29 }], spans)).toEqual([]);
    expect(cutToSpans([{ roomId: '!other', after: 0 }], spans)).toEqual([]);
    expect(spanRanges(spans)).toEqual([{ roomId: '!a', after: 4, upTo: 19 }, { roomId: '!a', after: 29 }]);
  });
});
