import assert from 'node:assert/strict';

/**
 * No XML parser ships with Node, so this checks what a browser would choke
 * on: unbalanced tags, raw markup characters in text, bare ampersands; and
 * that no value went missing on its way into an attribute.
 */
export function assertWellFormed(svg: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*viewBox="0 0 \d+(\.\d+)? \d+(\.\d+)?"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  for (const bad of ['NaN', 'undefined', 'Infinity', 'null']) assert.ok(!svg.includes(bad), `contains ${bad}`);
  assert.doesNotMatch(svg, /&(?!(amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);)/, 'bare ampersand');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|>/g;
  let last = 0;
  for (const m of svg.matchAll(tag)) {
    assert.ok(m[2], `stray ${m[0]} at ${m.index}: ${svg.slice(m.index - 40, m.index + 40)}`);
    assert.doesNotMatch(svg.slice(last, m.index), /[<>]/);
    last = m.index + m[0].length;
    if (m[4]) continue;
    if (m[1]) assert.equal(stack.pop(), m[2], `unbalanced </${m[2]}>`);
    else stack.push(m[2]);
  }
  assert.deepEqual(stack, []);
}
