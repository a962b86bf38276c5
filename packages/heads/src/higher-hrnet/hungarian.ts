/**
 * Minimum-cost assignment (Kuhn-Munkres / Hungarian algorithm) with the tie-breaking of the Python
 * `munkres` package (1.1.x), which HigherHRNet's grouping uses.
 *
 * HigherHRNet's cost `round(distance) * 100 - value` is full of ties (the value terms cancel whenever every
 * row gets a column), and which optimum is returned decides who gets which joint. So this is the classic
 * six-step matrix formulation (star / prime / cover), with the same search orders as that package:
 *
 * - a rectangular matrix is padded with rows or columns of 0 to a square;
 * - step 2 stars, row by row, the first zero of each row whose column is still free;
 * - step 4 looks for an uncovered zero starting at the row of the previous hit and the column of the star
 *   found in that row (at (0, 0) after step 6), wrapping around; within the first row that has one it
 *   keeps the *last* such zero of that row's scan (the package's loop does not stop at the first);
 * - step 6 adds the smallest uncovered value to covered rows and then subtracts it from uncovered columns,
 *   in this order, in double precision (so a covered-row, uncovered-column entry becomes `(c + m) - m`).
 *
 * Unlike the package, the caller's matrix is never modified.
 */

const STAR = 1;
const PRIME = 2;

/** A cost matrix: `rows[i][j]` is the cost of giving column j to row i. All rows have the same length. */
export type CostMatrix = ArrayLike<ArrayLike<number>>;

/**
 * Solves the assignment problem for `cost` (rows x cols, any shape).
 * Returns the `[row, col]` pairs of the optimum in row-major order, as `Munkres().compute` does:
 * `min(rows, cols)` pairs, each row and column used at most once.
 */
export function munkres(cost: CostMatrix): Array<[number, number]> {
  const rows = cost.length;
  if (rows === 0) return [];
  const cols = cost[0]!.length;
  if (cols === 0) return [];
  const n = Math.max(rows, cols);

  // Padded square copy (row-major, float64).
  const c = new Float64Array(n * n);
  for (let i = 0; i < rows; i++) {
    const r = cost[i]!;
    if (r.length !== cols) throw new Error(`munkres: row ${i} has ${r.length} entries, expected ${cols}`);
    for (let j = 0; j < cols; j++) {
      const v = Number(r[j]);
      if (Number.isNaN(v)) throw new Error(`munkres: cost[${i}][${j}] is NaN`);
      c[i * n + j] = v;
    }
  }
  const marked = new Uint8Array(n * n);
  const rowCovered = new Uint8Array(n);
  const colCovered = new Uint8Array(n);
  const clearCovers = (): void => {
    rowCovered.fill(0);
    colCovered.fill(0);
  };

  // Step 1: subtract each row's minimum.
  for (let i = 0; i < n; i++) {
    let min = Infinity;
    for (let j = 0; j < n; j++) min = Math.min(min, c[i * n + j]!);
    if (!Number.isFinite(min)) throw new Error(`munkres: row ${i} has no finite cost`);
    for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! - min;
  }

  // Step 2: star the first free zero of each row.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (c[i * n + j] === 0 && !colCovered[j] && !rowCovered[i]) {
        marked[i * n + j] = STAR;
        colCovered[j] = 1;
        rowCovered[i] = 1;
        break;
      }
    }
  }
  clearCovers();

  const findStarInRow = (r: number): number => {
    for (let j = 0; j < n; j++) if (marked[r * n + j] === STAR) return j;
    return -1;
  };
  const findStarInCol = (col: number): number => {
    for (let i = 0; i < n; i++) if (marked[i * n + col] === STAR) return i;
    return -1;
  };
  const findPrimeInRow = (r: number): number => {
    for (let j = 0; j < n; j++) if (marked[r * n + j] === PRIME) return j;
    return -1;
  };
  /** The package's zero search: first row (from i0, wrapping) with an uncovered zero; last such zero of that row's scan from j0. */
  const findZero = (i0: number, j0: number): [number, number] => {
    let i = i0;
    for (;;) {
      let found = -1;
      if (!rowCovered[i]) {
        let j = j0;
        do {
          if (c[i * n + j] === 0 && !colCovered[j]) found = j;
          j = (j + 1) % n;
        } while (j !== j0);
      }
      if (found >= 0) return [i, found];
      i = (i + 1) % n;
      if (i === i0) return [-1, -1];
    }
  };

  const pathR = new Int32Array(2 * n + 1);
  const pathC = new Int32Array(2 * n + 1);
  // Guards against a non-terminating loop on pathological input (e.g. infinities); far above any real need.
  let budget = 100 * n * n * n + 1000;

  for (;;) {
    // Step 3: cover the columns of starred zeros; done when all are covered.
    let count = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (marked[i * n + j] === STAR && !colCovered[j]) {
          colCovered[j] = 1;
          count++;
        }
      }
    }
    if (count >= n) break;

    // Steps 4 and 6 until a primed zero without a star in its row is found.
    let row = 0;
    let col = 0;
    let z0r = -1;
    let z0c = -1;
    while (z0r < 0) {
      if (--budget < 0) throw new Error('munkres: no convergence (non-finite costs?)');
      const [r, cc] = findZero(row, col);
      if (r < 0) {
        // Step 6: smallest uncovered value; add to covered rows, subtract from uncovered columns.
        let min = Infinity;
        for (let i = 0; i < n; i++) {
          if (rowCovered[i]) continue;
          for (let j = 0; j < n; j++) if (!colCovered[j] && c[i * n + j]! < min) min = c[i * n + j]!;
        }
        if (!Number.isFinite(min)) throw new Error('munkres: matrix cannot be solved');
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let v = c[i * n + j]!;
            if (rowCovered[i]) v += min;
            if (!colCovered[j]) v -= min;
            c[i * n + j] = v;
          }
        }
        // Back to step 4, which starts its search at (0, 0) again.
        row = 0;
        col = 0;
        continue;
      }
      row = r;
      col = cc;
      marked[row * n + col] = PRIME;
      const starCol = findStarInRow(row);
      if (starCol >= 0) {
        col = starCol;
        rowCovered[row] = 1;
        colCovered[col] = 0;
      } else {
        z0r = row;
        z0c = col;
      }
    }

    // Step 5: augmenting path of alternating primes and stars.
    let count5 = 0;
    pathR[0] = z0r;
    pathC[0] = z0c;
    for (;;) {
      const r = findStarInCol(pathC[count5]!);
      if (r < 0) break;
      count5++;
      pathR[count5] = r;
      pathC[count5] = pathC[count5 - 1]!;
      const cc = findPrimeInRow(pathR[count5]!);
      count5++;
      pathR[count5] = pathR[count5 - 1]!;
      pathC[count5] = cc;
    }
    for (let k = 0; k <= count5; k++) {
      const idx = pathR[k]! * n + pathC[k]!;
      marked[idx] = marked[idx] === STAR ? 0 : STAR;
    }
    clearCovers();
    for (let k = 0; k < n * n; k++) if (marked[k] === PRIME) marked[k] = 0;
  }

  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) if (marked[i * n + j] === STAR) pairs.push([i, j]);
  }
  return pairs;
}
