import * as E from 'fp-ts/Either';
import { CommandHandler } from '../../src/commands/commandHandler';
import { Instant, NewInstant } from '../../src/domain/fields';
import { nextMonth, previousMonth } from '../../src/domain/time';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

describe('problem 4: years 0000-1969', () => {
  test('month arithmetic is right in every year YYYY-MM can name', () => {
    expect(nextMonth('0050-03')).toBe('0050-04');
    expect(nextMonth('0099-12')).toBe('0100-01');
    expect(previousMonth('0000-02')).toBe('0000-01');
    expect(previousMonth('1000-01')).toBe('0999-12');
    expect(nextMonth('2026-12')).toBe('2027-01');
    expect(previousMonth('2028-03')).toBe('2028-02');
    expect(nextMonth('9999-11')).toBe('9999-12');
  });

  test('T2: an instant before 1970-01-01T00:00:00Z is no occurredAt; recorded events keep the codec they were written under', () => {
    expect(NewInstant.is('1969-12-31T23:59:59Z')).toBe(false);
    expect(NewInstant.is('0050-03-01T00:00:00Z')).toBe(false);
    expect(NewInstant.is('1970-01-01T00:00:00Z')).toBe(true);
    expect(Instant.is('1969-12-31T23:59:59Z')).toBe(true);
  });

  test.each([
    ['a profile created in 0050', { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '0050-03-01T00:00:00Z' }],
    ['a tier in 1969', { type: 'DefineTier', tier: 'OLD', name: 'Old', credits: '1', price: '1.00', fromMonth: '1969-12', occurredAt: '1969-11-01T00:00:00Z' }],
  ])('%s is VALIDATION naming occurredAt, before any other check', async (_what, command) => {
    const store = new InMemoryEventStore();
    const result = await new CommandHandler({ store, clock: () => new Date('2026-04-01T00:00:00Z') }).execute(command);
    expect(result).toEqual(E.left(expect.objectContaining({ code: 'VALIDATION', message: expect.stringMatching(/^occurredAt: .*from 1970 on/) })));
  });
});
