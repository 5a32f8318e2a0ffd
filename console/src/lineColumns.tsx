/** The column heads of a statement line, wherever lines are listed (a user's lines, a preview's). */
export const LineColumns = () => (
  <>
    <th scope="col">Kind</th>
    <th scope="col">Tier</th>
    <th scope="col">Description</th>
    <th scope="col">At</th>
    <th scope="col" class="num">
      Amount (USD)
    </th>
  </>
);
