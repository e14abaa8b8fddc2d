// Go templates as `docker inspect -f` and `--format` run them, checked against the outputs Go's
// text/template documentation and Docker's "Format command and log output" page give.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { GoTemplate } from '../../specs/gotemplate/exec.ts';
import { renderFormat, tabwrite } from '../../specs/gotemplate/format.ts';

const MAPS = new Set(['Labels', 'Ports', 'Networks', 'ExposedPorts']);
const run = (tmpl: string, data: unknown = {}) => new GoTemplate(tmpl, { mapFields: MAPS, typeName: '*types.ContainerJSON' }).execute(structuredClone(data));
const refused = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: Error) => e instanceof InvalidArgumentError && re.test(e.message), String(re));

const container = {
  Id: 'a87ecb4f327c',
  Name: '/web',
  Args: ['-g', 'daemon off;'],
  State: { Status: 'running', Running: true, Pid: 4242, ExitCode: 0 },
  Config: { Image: 'nginx:1.25', Cmd: ['nginx', '-g', 'daemon off;'], Labels: { 'com.example.tier': 'web', app: 'shop' }, ExposedPorts: { '80/tcp': {} } },
  NetworkSettings: {
    IPAddress: '',
    Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': null },
    Networks: { bridge: { IPAddress: '172.17.0.2', Gateway: '172.17.0.1' } },
  },
};

describe('Go templates (text/template)', () => {
  it('the examples of Go\'s documentation', () => {
    for (const t of [
      '{{"\\"output\\""}}',
      '{{`"output"`}}',
      '{{printf "%q" "output"}}',
      '{{"output" | printf "%q"}}',
      '{{printf "%q" (print "out" "put")}}',
      '{{"put" | printf "%s%s" "out" | printf "%q"}}',
      '{{"output" | printf "%s" | printf "%q"}}',
      '{{with "output"}}{{printf "%q" .}}{{end}}',
      '{{with $x := "output" | printf "%q"}}{{$x}}{{end}}',
      '{{with $x := "output"}}{{printf "%q" $x}}{{end}}',
      '{{with $x := "output"}}{{$x | printf "%q"}}{{end}}',
    ]) assert.equal(run(t), '"output"', t);
    assert.equal(run('{{23 -}} < {{- 45}}'), '23<45');
    assert.equal(run('a {{/* a comment */}}b'), 'a b');
    assert.equal(run('{{if and 1 0}}y{{else if or 0 ""}}z{{else}}n{{end}}'), 'n');
    assert.equal(run('{{range $i, $e := .}}{{if $i}},{{end}}{{$i}}={{$e}}{{end}}', ['a', 'b']), '0=a,1=b');
    assert.equal(run('{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}', [1, 2, 3, 4, 5]), '13');
    assert.equal(run('{{range .}}x{{else}}empty{{end}}', []), 'empty');
    assert.equal(run('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}'), '2');
    assert.equal(run('{{len .}} {{index . 1}} {{slice . 1 2}} {{not true}} {{eq 1 2 3 1}} {{lt 1 2}} {{ge "b" "a"}}', [1, 2, 3]), '3 2 [2] false true true true');
    assert.equal(run('{{print 1 2 "a" 3}}|{{println "x" 1}}|{{printf "%5.2f|%-4d|%03d|%x|%v|%s" 3.14159 7 5 255 true .}}', 'str'), '1 2a3|x 1\n| 3.14|7   |005|ff|true|str');
    assert.equal(run('{{.}}', { A: 1, B: [1, 'x'], C: null }), '{1 [1 x] <nil>}');
  });

  it('the examples of Docker\'s "Format command and log output"', () => {
    assert.equal(run('{{join .Args " , "}}', container), '-g , daemon off;');
    assert.equal(run('{{json .Config.Cmd}}', container), '["nginx","-g","daemon off;"]');
    assert.equal(run('{{json .NetworkSettings.Ports}}', container), '{"443/tcp":null,"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}');
    assert.equal(run('{{lower "ABC"}} {{upper .State.Status}} {{title "hello world"}}', container), 'abc RUNNING Hello World');
    assert.equal(run('{{split .Config.Image ":"}}', container), '[nginx 1.25]');
    assert.equal(run('{{pad "x" 1 2}}|{{truncate .Id 6}}', container), ' x  |a87ecb');
    assert.equal(run('{{.State.Pid}}', container), '4242');
    assert.equal(run('{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', container), '172.17.0.2');
    assert.equal(run('{{(index .NetworkSettings.Networks "bridge").Gateway}}', container), '172.17.0.1');
    assert.equal(run('{{index .NetworkSettings.Networks "bridge"}}', container), '{172.17.0.2 172.17.0.1}');
    assert.equal(run('{{range $p, $conf := .NetworkSettings.Ports}}{{if $conf}} {{$p}} -> {{(index $conf 0).HostPort}} {{end}}{{end}}', container), ' 80/tcp -> 8080 ');
    assert.equal(run('{{.Config.Labels}}', container), 'map[app:shop com.example.tier:web]');
    assert.equal(run('{{index .Config.Labels "com.example.tier"}}', container), 'web');
    assert.equal(run('{{.Config.Labels.app}}|{{.Config.Labels.missing}}', container), 'shop|<no value>');
    assert.equal(run('{{.Name}}', container), '/web');
  });

  it('errors name what is wrong, as Go words them', () => {
    refused(() => run('{{.State.Pidd}}', container), /template: :1:2: executing "" at <\.State\.Pidd>: can't evaluate field Pidd in type struct \(did you mean \.Pid\?\)/);
    refused(() => run('{{.Nope}}', container), /can't evaluate field Nope in type \*types\.ContainerJSON/);
    refused(() => run('{{uper .Name}}'), /function "uper" not defined \(did you mean "upper"\?\)/);
    refused(() => run('{{.Name'), /unclosed action/);
    refused(() => run('{{if .}}x'), /unexpected EOF/);
    refused(() => run('{{end}}'), /unexpected \{\{end\}\}/);
    refused(() => run('{{$nope}}'), /undefined variable "\$nope"/);
    refused(() => run('{{index . 5}}', [1]), /error calling index: index out of range: 5/);
    refused(() => run('{{eq . "a"}}', 1), /incompatible types for comparison/);
    refused(() => run('{{template "x"}}'), /not supported/);
  });
});

describe('Docker\'s --format', () => {
  const headers = { ID: 'CONTAINER ID', Names: 'NAMES', Labels: 'LABELS', Image: 'IMAGE' };
  const items = [
    { ID: 'a87ecb4f327c', Names: 'web', Image: 'nginx', Labels: 'com.docker.swarm.node=ubuntu,com.docker.swarm.storage=ssd', Label: (k: string) => (k === 'tier' ? 'front' : '') },
    { ID: '01946d9d34d8', Names: 'db', Image: 'postgres:16', Labels: '', Label: () => '' },
  ];
  const o = { headers, defaultTable: 'table {{.ID}}\\t{{.Image}}\\t{{.Names}}', mapFields: MAPS };

  it('table: a header row, columns aligned as Docker\'s tabwriter (minwidth 10, padding 3)', () => {
    assert.equal(
      renderFormat('table {{.ID}}\\t{{.Labels}}', items, o),
      'CONTAINER ID   LABELS\na87ecb4f327c   com.docker.swarm.node=ubuntu,com.docker.swarm.storage=ssd\n01946d9d34d8   \n',
    );
    assert.equal(renderFormat(undefined, items, o), 'CONTAINER ID   IMAGE         NAMES\na87ecb4f327c   nginx         web\n01946d9d34d8   postgres:16   db\n');
    assert.equal(renderFormat('table {{.Names}}\\t{{.Image}}', items, o), 'NAMES     IMAGE\nweb       nginx\ndb        postgres:16\n');
    assert.equal(renderFormat('table {{upper .Names}}', items, o), 'NAMES\nWEB\nDB\n', 'header functions keep the header intact');
  });

  it('a template per item, json, methods with arguments', () => {
    assert.equal(renderFormat('{{.ID}}: {{.Names}}', items, o), 'a87ecb4f327c: web\n01946d9d34d8: db\n');
    assert.equal(renderFormat('{{.Label "tier"}}', items, o), 'front\n\n');
    assert.equal(renderFormat('json', [{ A: 1, B: 'x<y' }], o), '{"A":1,"B":"x<y"}\n');
  });

  it('tabwriter blocks: a column is aligned over the consecutive lines that have it', () => {
    assert.equal(tabwrite('a\tb\tc\naaaa\tbb\nx\n'), 'a         b         c\naaaa      bb\nx\n');
    assert.equal(tabwrite('a\tb\n\nccccccccccccc\td\n'), 'a         b\n\nccccccccccccc   d\n');
  });
});
