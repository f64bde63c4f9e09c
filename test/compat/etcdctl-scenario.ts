import type { OutputKind } from './normalise';

/** One etcdctl invocation of the compatibility scenario. */
export interface Step {
  /** Unique id; the key in the golden file. */
  id: string;
  args: string[];
  stdin?: string;
  kind?: OutputKind;
}

export interface StepGroup {
  name: string;
  steps: Step[];
}

const s = (id: string, args: string[], extra: Partial<Step> = {}): Step => ({ id, args, ...extra });

/**
 * The scenario, run in order against a fresh single-member cluster. Revisions start at 1 on both
 * implementations, so every revision in the outputs must match exactly.
 */
export const SCENARIO: StepGroup[] = [
  {
    name: 'put',
    steps: [
      s('put foo', ['put', 'foo', 'bar']), // rev 2
      s('put foo2', ['put', 'foo2', 'bar2']), // rev 3
      s('put zoo', ['put', 'zoo', 'z']), // rev 4
      s('put a', ['put', 'a', 'v-a']), // rev 5
      s('put foo --prev-kv', ['put', 'foo', 'bar1', '--prev-kv']), // rev 6
      s('put foo --prev-kv -w json', ['put', 'foo', 'bar2', '--prev-kv', '-w', 'json']), // rev 7
      s('put new --prev-kv -w json', ['put', 'new', 'n', '--prev-kv', '-w', 'json']), // rev 8
      s('put empty value', ['put', 'empty', '']), // rev 9
      s('put --ignore-value', ['put', 'a', '--ignore-value']), // rev 10
      s('put --ignore-value missing', ['put', 'missing', '--ignore-value']),
      s('put -w fields', ['put', 'b', 'v-b', '-w', 'fields']), // rev 11
      s('put no value', ['put', 'onlykey']),
      s('put -- -dash', ['put', '--', '-dash', 'v']), // rev 12
    ],
  },
  {
    name: 'get',
    steps: [
      s('get foo', ['get', 'foo']),
      s('get missing', ['get', 'nothing-here']),
      s('get foo -w json', ['get', 'foo', '-w', 'json']),
      s('get foo -w fields', ['get', 'foo', '-w', 'fields']),
      s('get foo --prefix', ['get', 'foo', '--prefix']),
      s('get foo --prefix --limit 1 -w json', ['get', 'foo', '--prefix', '--limit', '1', '-w', 'json']),
      s('get range', ['get', 'b', 'new']),
      s('get --from-key', ['get', 'foo', '--from-key']),
      s('get --from-key --keys-only', ['get', 'b', '--from-key', '--keys-only']),
      s('get all --keys-only -w json', ['get', '', '--prefix', '--keys-only', '-w', 'json']),
      s('get --sort-by VALUE --order DESCEND', ['get', '', '--prefix', '--sort-by', 'VALUE', '--order', 'DESCEND']),
      s('get --sort-by MODIFY', ['get', '', '--prefix', '--sort-by', 'MODIFY', '--order', 'ASCEND', '--keys-only']),
      s('get --sort-by CREATE DESCEND --limit 2 -w json', [
        'get',
        '',
        '--prefix',
        '--sort-by',
        'CREATE',
        '--order',
        'DESCEND',
        '--limit',
        '2',
        '-w',
        'json',
      ]),
      s('get --sort-by VERSION', ['get', 'foo', '--prefix', '--sort-by', 'VERSION', '--keys-only']),
      s('get --sort-by KEY --order DESCEND', ['get', '', '--prefix', '--order', 'DESCEND', '--keys-only']),
      s('get --count-only -w fields', ['get', 'foo', '--prefix', '--count-only', '-w', 'fields']),
      s('get --count-only (simple: error)', ['get', 'foo', '--prefix', '--count-only']),
      s('get --rev 2 -w json', ['get', 'foo', '--rev', '2', '-w', 'json']),
      s('get --rev 1', ['get', 'foo', '--rev', '1']),
      s('get --rev future', ['get', 'foo', '--rev', '999']),
      s('get --consistency s', ['get', 'foo', '--consistency', 's']),
      s('get --print-value-only', ['get', 'foo', '--prefix', '--print-value-only']),
      s('get --hex', ['get', 'foo', '--hex']),
      s('get --hex --print-value-only', ['get', 'foo', '--prefix', '--hex', '--print-value-only']),
      s('get -w json --hex', ['get', 'foo', '-w', 'json', '--hex']),
      s('get --min-mod-rev', ['get', '', '--prefix', '--min-mod-rev', '7', '--keys-only']),
      s('get --max-create-rev', ['get', '', '--prefix', '--max-create-rev', '4', '--keys-only']),
      s('get -w table', ['get', 'foo', '-w', 'table']),
    ],
  },
  {
    name: 'del',
    steps: [
      s('del foo2 --prev-kv', ['del', 'foo2', '--prev-kv']), // rev 13
      s('del missing', ['del', 'nothing-here']),
      s('del missing -w json', ['del', 'nothing-here', '-w', 'json']),
      s('del --prefix', ['del', 'fo', '--prefix']), // rev 14
      s('put x1', ['put', 'x1', '1']), // rev 15
      s('put x2', ['put', 'x2', '2']), // rev 16
      s('put y', ['put', 'y', '3']), // rev 17
      s('del range --range', ['del', 'x1', 'x3', '--range']), // rev 18
      s('del --from-key --prev-kv -w json', ['del', 'new', '--from-key', '--prev-kv', '-w', 'json']), // rev 19
      s('get all after del', ['get', '', '--prefix']),
    ],
  },
  {
    name: 'txn',
    steps: [
      s('put t1', ['put', 't1', 'v1']), // rev 20
      s('txn success', ['txn'], {
        stdin: 'value("t1") = "v1"\nversion("t1") > "0"\n\nput t2 v2\nget t1\ndel a\n\nput t3 v3\n\n',
      }), // rev 21
      s('txn failure', ['txn'], {
        stdin: 'value("t1") = "nope"\n\nput t4 v4\n\nput t2 v22\nget t2\n\n',
      }), // rev 22
      s('txn -w json success', ['txn', '-w', 'json'], {
        stdin: 'mod("t1") = "20"\ncreate("t2") = "21"\n\nput t5 v5\nget t --prefix\n\n\n',
      }), // rev 23
      s('txn -w json failure, empty branch', ['txn', '-w', 'json'], {
        stdin: 'mod("nope") > "0"\n\nput t6 v6\n\n\n',
      }),
      s('txn compare value <', ['txn'], { stdin: 'value("t1") < "v2"\n\nget t1\n\nget t2\n\n' }),
      s('txn no compares', ['txn'], { stdin: '\nput t7 v7\n\n\n' }), // rev 24
      s('txn duplicate key', ['txn'], { stdin: '\nput k v\nput k w\n\n\n' }),
      s('txn malformed', ['txn'], { stdin: 'put k v\n\n\n\n' }),
      s('txn -i success', ['txn', '-i'], { stdin: 'value("t1") = "v1"\n\nget t1\n\nget t2\n\n' }),
      s('txn -i failure', ['txn', '-i'], { stdin: 'version("t1") = "5"\n\nget t1\n\nget t2 --print-value-only\n\n' }),
      s('get t --prefix', ['get', 't', '--prefix']),
    ],
  },
  {
    name: 'compaction',
    steps: [
      s('put c1', ['put', 'c', '1']), // rev 25
      s('put c2', ['put', 'c', '2']), // rev 26
      s('put c3', ['put', 'c', '3']), // rev 27
      s('compaction 26', ['compaction', '26']),
      s('get at compacted rev', ['get', 'c', '--rev', '25']),
      s('get at compact rev', ['get', 'c', '--rev', '26', '-w', 'json']),
      s('compaction again', ['compaction', '26']),
      s('compaction below', ['compaction', '10']),
      s('compaction future', ['compaction', '100']),
      s('compaction --physical', ['compaction', '27', '--physical']),
      s('get at compacted rev after physical', ['get', 'c', '--rev', '26']),
      s('get after compaction -w json', ['get', 'c', '-w', 'json']),
    ],
  },
  {
    name: 'endpoint and member',
    steps: [
      s('endpoint status', ['endpoint', 'status'], { kind: 'status' }),
      s('endpoint status -w json', ['endpoint', 'status', '-w', 'json'], { kind: 'status' }),
      s('endpoint status -w table', ['endpoint', 'status', '-w', 'table'], { kind: 'status' }),
      s('endpoint health', ['endpoint', 'health']),
      s('endpoint health -w json', ['endpoint', 'health', '-w', 'json']),
      s('endpoint health -w table', ['endpoint', 'health', '-w', 'table']),
      s('member list', ['member', 'list']),
      s('member list -w json', ['member', 'list', '-w', 'json']),
      s('member list -w table', ['member', 'list', '-w', 'table']),
      s('member list --consistency s -w json', ['member', 'list', '--consistency', 's', '-w', 'json']),
      s('get after all', ['get', '', '--prefix', '-w', 'json', '--keys-only']),
    ],
  },
];
