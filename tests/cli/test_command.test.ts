import assert from "node:assert/strict";

import { junitFailures } from "../../scripts/test.ts";

Deno.test("the test command names each failed test, unescaped, one line each, before its closing line", () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="3" failures="2" errors="0" time="1.0">
    <testsuite name="./tests/a.test.ts" tests="3" disabled="0" errors="0" failures="2">
        <testcase name="passes" classname="./tests/a.test.ts" time="0.1" line="1" col="6">
        </testcase>
        <testcase name="a &quot;quoted&quot; &amp; &lt;tagged&gt; name" classname="./tests/a.test.ts" time="0.1" line="5" col="6">
            <failure message="Uncaught Error: 61 !== 60&#10;more">Error: 61 !== 60
    at file:///a.test.ts:7:3</failure>
        </testcase>
        <testcase name="times out" classname="./tests/a.test.ts" time="30" line="9" col="6">
            <failure message="timed out after 30000 ms waiting for x; missing {&quot;A 1h&quot;:[4]}">x</failure>
        </testcase>
    </testsuite>
</testsuites>`;
  assert.deepEqual(junitFailures(xml), [
    './tests/a.test.ts > a "quoted" & <tagged> name: Uncaught Error: 61 !== 60',
    './tests/a.test.ts > times out: timed out after 30000 ms waiting for x; missing {"A 1h":[4]}',
  ]);
  assert.deepEqual(junitFailures(xml.replace(/<failure[^]*?<\/failure>/g, "")), []);
});
