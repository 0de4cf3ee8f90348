/** Properties of the local cloud's parsers of outside input, and of its XML writer. */
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { CredentialError, identifyCaller } from '../../../local/identity.ts';
import { QueryParams } from '../../../local/query-params.ts';
import { escapeXml, items, xmlDocument } from '../../../local/xml.ts';
import { PROVIDER } from '../../support/accounts.ts';

const none = new URLSearchParams();

describe('identifyCaller', () => {
  it('either names a caller or throws a CredentialError, whatever the header', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), (header) => {
        try {
          const caller = identifyCaller(header, none, PROVIDER);
          expect(caller.account).toMatch(/^[0-9]{12}$/);
        } catch (error) {
          expect(error).toBeInstanceOf(CredentialError);
        }
      }),
    );
  });

  it('reads the account from a 12-digit key id and the region and service from the scope', () => {
    const region = fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1');
    const service = fc.constantFrom('ec2', 'sns', 'dynamodb', 'events');
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{12}$/), region, service, (account, scopeRegion, scopeService) => {
        const header = `AWS4-HMAC-SHA256 Credential=${account}/20260101/${scopeRegion}/${scopeService}/aws4_request, SignedHeaders=host, Signature=x`;
        expect(identifyCaller(header, none, PROVIDER)).toEqual({
          account,
          region: scopeRegion,
          service: scopeService,
          accessKeyId: account,
        });
      }),
    );
  });

  it('takes any other key id as the provider, and reads presigned query credentials', () => {
    const header =
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=x';
    expect(identifyCaller(header, none, PROVIDER).account).toBe(PROVIDER);
    const query = new URLSearchParams({
      'X-Amz-Credential': '111111111111/20260101/eu-west-1/sns/aws4_request',
    });
    expect(identifyCaller(undefined, query, PROVIDER)).toMatchObject({
      account: '111111111111',
      region: 'eu-west-1',
    });
  });

  it('names the wrong part of a credential scope', () => {
    const scope = (credential: string) =>
      `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host, Signature=x`;
    expect(() => identifyCaller(scope('test/20260101/local/ec2/aws4_request'), none, PROVIDER)).toThrow(
      "'local'",
    );
    expect(() => identifyCaller(scope('test/20260101/us-east-1/ec2'), none, PROVIDER)).toThrow(
      '4 slash-delimited',
    );
    expect(() => identifyCaller(undefined, none, PROVIDER)).toThrow(CredentialError);
  });
});

describe('QueryParams', () => {
  it('reads a list in index order, whatever order the form has', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 20 }),
        (indexes) => {
          const form = new URLSearchParams(
            indexes.map((index): [string, string] => [`VpcEndpointId.${index}`, `vpce-${index}`]),
          );
          const expected = [...indexes].sort((a, b) => a - b).map((index) => `vpce-${index}`);
          expect(QueryParams.fromSearchParams(form).list('VpcEndpointId')).toEqual(expected);
        },
      ),
    );
  });

  it('reads nested structures: Filter.N.Name and Filter.N.Value.M', () => {
    const form = new URLSearchParams([
      ['Filter.2.Name', 'vpc-endpoint-state'],
      ['Filter.2.Value.1', 'pendingAcceptance'],
      ['Filter.1.Name', 'service-id'],
      ['Filter.1.Value.2', 'vpce-svc-2'],
      ['Filter.1.Value.1', 'vpce-svc-1'],
    ]);
    const filters = QueryParams.fromSearchParams(form)
      .structures('Filter')
      .map((filter) => [filter.required('Name'), filter.list('Value')]);
    expect(filters).toEqual([
      ['service-id', ['vpce-svc-1', 'vpce-svc-2']],
      ['vpc-endpoint-state', ['pendingAcceptance']],
    ]);
  });
});

/** What XML 1.0 can carry as is: tab, newline, carriage return, and U+0020 up, except U+FFFE and U+FFFF. */
function xmlCharacter(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const allowed =
    code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code !== 0xfffe && code !== 0xffff);
  return allowed ? char : '\uFFFD';
}

describe('XML writer', () => {
  const parser = new XMLParser({
    trimValues: false,
    parseTagValue: false,
    ignoreAttributes: true,
    processEntities: true,
  });

  it('carries any text through escaping intact (characters XML cannot hold become U+FFFD)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const parsed: unknown = parser.parse(xmlDocument('R', undefined, { value: `[${text}]` }));
        const expected = `[${[...text].map(xmlCharacter).join('')}]`;
        expect(parsed).toEqual({ '?xml': '', R: { value: expected.replace(/\r\n?/g, '\n') } });
      }),
    );
  });

  it('writes lists as item elements and empty lists as empty elements', () => {
    expect(xmlDocument('R', 'urn:x', { set: items(['a', 'b']), empty: items([]), skipped: undefined })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="urn:x"><set><item>a</item><item>b</item></set><empty/></R>',
    );
    expect(escapeXml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
  });
});
