// Networks as the API shows them.

export interface NetworkInfo {
  name: string;
  /** Linux bridge device on the host. */
  bridge: string;
  subnet: string;
  gateway: string;
  createdAt: string;
  labels: Record<string, string>;
}

export interface NetworkDetails extends NetworkInfo {
  containers: Array<{ id: string; name: string; ipAddress?: string; ports: string[] }>;
}
