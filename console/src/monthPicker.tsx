import { nextMonth, previousMonth } from '../../src/domain/time';
import { monthName } from './format';
import { CURRENT, navigate } from './router';

/** Previous, next, the current month, or any month typed in; each a link, so it also opens in a new tab. */
export const MonthPicker = ({ month, hrefOf }: { month: string; hrefOf: (month: string) => string }) => (
  <nav class="month-picker" aria-label="Month">
    <a href={hrefOf(previousMonth(month))} rel="prev">
      ← {monthName(previousMonth(month))}
    </a>
    <label>
      <span class="sr-only">Month</span>
      <input
        type="month"
        value={month}
        onChange={(e) => {
          const value = (e.target as HTMLInputElement).value;
          if (/^[0-9]{4}-[0-9]{2}$/.test(value)) navigate(hrefOf(value));
        }}
      />
    </label>
    <a href={hrefOf(nextMonth(month))} rel="next">
      {monthName(nextMonth(month))} →
    </a>
    <a href={hrefOf(CURRENT)}>Current month</a>
  </nav>
);
