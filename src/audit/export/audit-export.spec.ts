import { AuditEventDto } from '../dto/audit-event.dto';
import { AuditExportFormat } from '../dto/list-audit-events-query.dto';
import { csvField, formatEvent } from './audit-export';

const event: AuditEventDto = {
  id: '7d0c1e3f-5a7b-4d2c-8e6f-0a1b3c5d7e9f',
  seq: 3,
  occurredAt: '2030-01-02T03:04:05.678901Z',
  actor: { type: 'user', id: 'u-1', display: 'Ada, "the first"' },
  action: 'user.updated',
  resource: { type: 'user', id: 'u-2' },
  outcome: 'success',
  requestId: 'req-1',
  ip: '127.0.0.1',
  userAgent: null,
  changes: { before: { name: 'A' }, after: { name: 'B' } },
  metadata: { note: 'line\nbreak' },
  hash: 'a'.repeat(64),
  prevHash: 'b'.repeat(64),
};

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['with,comma', '"with,comma"'],
    ['with "quotes"', '"with ""quotes"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['carriage\rreturn', '"carriage\rreturn"'],
    [42, '42'],
    [null, ''],
    [undefined, ''],
  ])('writes %p as %p', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it.each([
    ['=HYPERLINK("https://evil.example","x")', `"'=HYPERLINK(""https://evil.example"",""x"")"`],
    ['=1+1', "'=1+1"],
    ['+1+1', "'+1+1"],
    ['-1+1', "'-1+1"],
    ['-5', "'-5"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', `"'\r=1+1"`],
  ])('prefixes text a spreadsheet would run: %p as %p', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it.each([
    ['a=1', 'a=1'],
    ['1-2', '1-2'],
    ['{"a":"=1"}', '"{""a"":""=1""}"'],
  ])('leaves %p alone: nothing runs unless the cell begins with it', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes numbers as numbers, a negative one too: a number is never a formula', () => {
    expect(csvField(-5)).toBe('-5');
    expect(csvField(0)).toBe('0');
  });
});

describe('formatEvent', () => {
  it('writes NDJSON as one line of the API shape', () => {
    const line = formatEvent(AuditExportFormat.Ndjson, event);

    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(event);
  });

  it('prefixes every text cell a spreadsheet would run, whichever column it is in', () => {
    const hostile: AuditEventDto = {
      ...event,
      actor: { type: 'user', id: '+u-1', display: '@Ada' },
      resource: { type: 'user', id: '-u-2' },
      requestId: '=req',
      userAgent: '=HYPERLINK("https://evil.example")',
    };
    const line = formatEvent(AuditExportFormat.Csv, hostile);

    expect(line).toContain(",'+u-1,'@Ada,");
    expect(line).toContain(",'-u-2,");
    expect(line).toContain(",'=req,");
    expect(line).toContain(`,"'=HYPERLINK(""https://evil.example"")",`);
  });

  it('writes CSV as one CRLF-terminated record with JSON for changes and metadata', () => {
    expect(formatEvent(AuditExportFormat.Csv, event)).toBe(
      [
        event.id,
        '3',
        event.occurredAt,
        'user',
        'u-1',
        '"Ada, ""the first"""',
        'user.updated',
        'user',
        'u-2',
        'success',
        'req-1',
        '127.0.0.1',
        '',
        '"{""before"":{""name"":""A""},""after"":{""name"":""B""}}"',
        '"{""note"":""line\\nbreak""}"',
        'a'.repeat(64),
        'b'.repeat(64),
      ].join(',') + '\r\n',
    );
  });
});
