// The Dockerfile parser and word expansion, against Docker's documented behaviour.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDockerfile } from '../../../engine/builder/dockerfile.ts';
import { DockerfileError } from '../../../engine/builder/errors.ts';
import { expandWord, expandWords, splitWords } from '../../../engine/builder/words.ts';
import { InvalidArgumentError } from '../../../specs/errdefs.ts';

const env = (o: Record<string, string>) => new Map(Object.entries(o));

function parseError(text: string): DockerfileError {
  try {
    parseDockerfile(text);
  } catch (err) {
    assert.ok(err instanceof DockerfileError, String(err));
    assert.ok(err instanceof InvalidArgumentError);
    return err;
  }
  assert.fail('expected a parse error');
}

describe('word expansion', () => {
  const e = env({ A: 'a', EMPTY: '', SP: 'x  y', PATH_: '/usr/local/bin/tool.tar.gz' });
  const cases: Array<[string, string]> = [
    ['$A', 'a'],
    ['${A}', 'a'],
    ['pre${A}post', 'preapost'],
    ['$Apost', ''],
    ['$UNSET', ''],
    ['${UNSET:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${UNSET-def}', 'def'],
    ['${A:-def}', 'a'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET:+alt}', ''],
    ['${UNSET:-${A}b}', 'ab'],
    ['\\$A', '$A'],
    ["'$A'", '$A'],
    ['"$A"', 'a'],
    ['"\\$A"', '$A'],
    ['"a\\nb"', 'a\\nb'],
    ['a\\ b', 'a b'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$1', ''],
    ['${PATH_##*/}', 'tool.tar.gz'],
    ['${PATH_#*/}', 'usr/local/bin/tool.tar.gz'],
    ['${PATH_%.*}', '/usr/local/bin/tool.tar'],
    ['${PATH_%%.*}', '/usr/local/bin/tool'],
    ['${A/a/b}', 'b'],
    ['${PATH_//\\//_}', '_usr_local_bin_tool.tar.gz'],
    ['"${A}"\'${A}\'', 'a${A}'],
  ];
  for (const [word, want] of cases) it(`${word} → ${JSON.stringify(want)}`, () => assert.equal(expandWord(word, e), want));

  it('the backtick escape', () => {
    assert.equal(expandWord('`$A', e, '`'), '$A');
    assert.equal(expandWord('C:\\dir', e, '`'), 'C:\\dir');
  });

  it('errors for malformed substitutions', () => {
    assert.throws(() => expandWord('${A', e), /missing '}'/);
    assert.throws(() => expandWord('${}', e), /bad substitution/);
    assert.throws(() => expandWord('${A:x}', e), /unsupported modifier/);
    assert.throws(() => expandWord('"abc', e), /double-quote/);
    assert.throws(() => expandWord("'abc", e), /single-quote/);
    assert.throws(() => expandWord('${UNSET:?must be set}', e), /UNSET: must be set/);
  });

  it('splits words on unquoted whitespace, values of unquoted variables too', () => {
    assert.deepEqual(expandWords('80 443/tcp', e), ['80', '443/tcp']);
    assert.deepEqual(expandWords('$SP "$SP" \'q q\'', e), ['x', 'y', 'x  y', 'q q']);
    assert.deepEqual(expandWords('"" a', e), ['', 'a']);
  });

  it('splitWords keeps quotes and escapes for later expansion', () => {
    assert.deepEqual(splitWords('a="b c" d=e\\ f', '\\'), ['a="b c"', 'd=e\\ f']);
    assert.deepEqual(splitWords("  x  'y z'  ", '\\'), ['x', "'y z'"]);
  });
});

describe('Dockerfile lexing and parsing', () => {
  it('continuations, comments inside continuations, empty lines, case-insensitive keywords', () => {
    const df = parseDockerfile(['# a comment', 'from scratch', 'RUN echo a \\', '  # inside', '', '  && echo b', '  env A=1', ''].join('\n'));
    const [stage] = df.stages;
    assert.equal(stage!.from.image, 'scratch');
    const run = stage!.commands[0]!;
    assert.equal(run.keyword, 'RUN');
    assert.equal(run.line, 3);
    assert.equal(run.endLine, 6);
    assert.deepEqual(run.keyword === 'RUN' && run.form, { kind: 'shell', cmd: 'echo a   && echo b' });
    const envc = stage!.commands[1]!;
    assert.equal(envc.line, 7);
    assert.equal(envc.col, 3);
    assert.deepEqual(envc.keyword === 'ENV' && envc.pairs, [['A', '1']]);
  });

  it('parser directives: escape and syntax only at the top', () => {
    const df = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM scratch\nRUN a `\n b\n');
    assert.equal(df.directives.escape, '`');
    assert.equal(df.directives.syntax, 'docker/dockerfile:1');
    const run = df.stages[0]!.commands[0]!;
    assert.deepEqual(run.keyword === 'RUN' && run.form, { kind: 'shell', cmd: 'a  b' });
    // After an instruction (or an empty line) a directive is a comment.
    assert.equal(parseDockerfile('\n# escape=`\nFROM scratch\n').directives.escape, '\\');
    assert.equal(parseDockerfile('FROM scratch\n# escape=`\n').directives.escape, '\\');
    assert.match(parseError('# escape=x\nFROM scratch').message, /^Dockerfile:1:1: invalid escape token 'x'/);
    assert.match(parseError('# escape=\\\n# escape=`\nFROM scratch').message, /^Dockerfile:2:1: only one escape/);
  });

  it('exec and shell forms', () => {
    const df = parseDockerfile('FROM scratch\nCMD ["a", "b c"]\nENTRYPOINT echo hi\nCMD [not json\nSHELL ["/bin/bash", "-c"]\n');
    const [cmd, ep, bad, shell] = df.stages[0]!.commands;
    assert.deepEqual(cmd!.keyword === 'CMD' && cmd!.form, { kind: 'exec', args: ['a', 'b c'] });
    assert.deepEqual(ep!.keyword === 'ENTRYPOINT' && ep!.form, { kind: 'shell', cmd: 'echo hi' });
    assert.deepEqual(bad!.keyword === 'CMD' && bad!.form, { kind: 'shell', cmd: '[not json' });
    assert.deepEqual(shell!.keyword === 'SHELL' && shell!.args, ['/bin/bash', '-c']);
  });

  it('heredocs for RUN and COPY: quoted, chomped, several', () => {
    const df = parseDockerfile(
      ['FROM scratch', 'RUN <<EOF', 'echo $HOME', 'EOF', 'COPY <<-"A" <<B /dst/', '\tline a', '\tA', 'b', 'B', 'CMD ["x"]'].join('\n'),
    );
    const [run, copy, cmd] = df.stages[0]!.commands;
    assert.ok(run!.keyword === 'RUN');
    assert.deepEqual(run.heredocs, [{ name: 'EOF', content: 'echo $HOME\n', expand: true, chomp: false }]);
    assert.ok(copy!.keyword === 'COPY');
    assert.deepEqual(copy.heredocs.map((h) => [h.name, h.content, h.expand, h.chomp]), [
      ['A', 'line a\n', false, true],
      ['B', 'b\n', true, false],
    ]);
    assert.deepEqual(copy.sources, ['<<-"A"', '<<B']);
    assert.equal(cmd!.line, 10);
    assert.match(parseError('FROM scratch\nRUN <<EOF\necho\n').message, /^Dockerfile:2:1: RUN: unterminated heredoc/);
  });

  it('ENV and LABEL: pairs, quotes, the legacy form', () => {
    const df = parseDockerfile('FROM scratch\nENV A="x y" B=z\\ w\nENV LEGACY some   value\nLABEL "com.x"="1" b=2\n');
    const [e1, e2, l] = df.stages[0]!.commands;
    assert.deepEqual(e1!.keyword === 'ENV' && e1!.pairs, [['A', '"x y"'], ['B', 'z\\ w']]);
    assert.deepEqual(e2!.keyword === 'ENV' && e2!.pairs, [['LEGACY', 'some   value']]);
    assert.deepEqual(l!.keyword === 'LABEL' && l!.pairs, [['"com.x"', '"1"'], ['b', '2']]);
  });

  it('stages, global ARGs, flags', () => {
    const df = parseDockerfile('ARG BASE=scratch\nFROM --platform=linux/amd64 $BASE AS Build\nCOPY --from=build --chown=1:2 --chmod=755 a b /c/\nFROM build\n');
    assert.deepEqual(df.metaArgs.map((a) => a.args), [[{ name: 'BASE', value: 'scratch' }]]);
    assert.equal(df.stages[0]!.name, 'build');
    assert.equal(df.stages[0]!.from.flags.platform, 'linux/amd64');
    const copy = df.stages[0]!.commands[0]!;
    assert.ok(copy.keyword === 'COPY');
    assert.deepEqual(copy.flags, { from: 'build', chown: '1:2', chmod: '755' });
    assert.deepEqual(copy.sources, ['a', 'b']);
    assert.equal(copy.dest, '/c/');
    assert.equal(df.stages.length, 2);
  });

  it('HEALTHCHECK and ONBUILD', () => {
    const df = parseDockerfile('FROM scratch\nHEALTHCHECK --interval=5s --retries=3 CMD ["true"]\nHEALTHCHECK NONE\nONBUILD RUN echo later\n');
    const [h, n, o] = df.stages[0]!.commands;
    assert.ok(h!.keyword === 'HEALTHCHECK' && !h.none);
    assert.deepEqual(h.test, { kind: 'exec', args: ['true'] });
    assert.deepEqual(h.flags, { interval: '5s', retries: '3' });
    assert.ok(n!.keyword === 'HEALTHCHECK' && n.none);
    assert.ok(o!.keyword === 'ONBUILD' && o.trigger.keyword === 'RUN');
    assert.equal(o.triggerText, 'RUN echo later');
  });

  describe('located errors name the instruction', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /^Dockerfile:1:1: the Dockerfile has no instructions/],
      ['# only a comment\n', /no instructions/],
      ['ENV A=1\nFROM scratch', /^Dockerfile:1:1: ENV: no build stage in current context/],
      ['ARG A\n', /^Dockerfile:1:1: the Dockerfile has no FROM/],
      ['FROM scratch\nFOO bar', /^Dockerfile:2:1: FOO: unknown instruction: FOO/],
      ['FROM scratch\nCOPPY a b', /unknown instruction: COPPY \(did you mean COPY\?\)/],
      ['FROM a b', /^Dockerfile:1:1: FROM: requires either one or three arguments/],
      ['FROM a AS 1x', /invalid name for build stage/],
      ['FROM a AS x\nFROM b AS x', /^Dockerfile:2:1: FROM: duplicate stage name "x"/],
      ['FROM scratch\n  COPY onlyone', /^Dockerfile:2:3: COPY: requires at least two arguments/],
      ['FROM scratch\nRUN', /^Dockerfile:2:1: RUN: requires at least one argument/],
      ['FROM scratch\nSHELL /bin/sh -c', /^Dockerfile:2:1: SHELL: requires the arguments to be in JSON form/],
      ['FROM scratch\nWORKDIR a b', /WORKDIR: requires exactly one argument/],
      ['FROM scratch\nENV =x', /ENV: ENV names can not be blank/],
      ['FROM scratch\nLABEL novalue', /LABEL: can't find =/],
      ['FROM scratch\nENV A', /ENV: needs a value/],
      ['FROM scratch\nCOPY --bogus=1 a b', /COPY: unknown flag: --bogus/],
      ['FROM scratch\nADD --from=x a b', /ADD: unknown flag: --from/],
      ['FROM scratch\nRUN --mount=type=cache,target=/x true', /RUN: --mount is not supported/],
      ['FROM scratch\nRUN --network=bridge true', /--network must be default, none or host/],
      ['FROM scratch\nHEALTHCHECK CMDX true', /HEALTHCHECK: unknown type/],
      ['FROM scratch\nONBUILD ONBUILD RUN x', /ONBUILD ONBUILD is not allowed/],
      ['FROM scratch\nONBUILD FROM x', /FROM is not allowed as an ONBUILD trigger/],
    ];
    for (const [text, re] of cases) it(JSON.stringify(text), () => assert.match(parseError(text).message, re));
  });
});
