/** One reason the deployment files are wrong, with the file or object it was found in. */
export interface Finding {
  where: string;
  problem: string;
}

/** Builds a finding; keeps rule code short. */
export function finding(where: string, problem: string): Finding {
  return { where, problem };
}
