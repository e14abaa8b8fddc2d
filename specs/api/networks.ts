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

/** `POST /v1/networks/:name/connect` (`berth network connect`). */
export interface NetworkConnectRequest {
  /** The container's name, id or unique id prefix. */
  container: string;
  /** Its other names on this network. */
  aliases?: string[];
}

/** `POST /v1/networks/:name/disconnect` (`berth network disconnect`). */
export interface NetworkDisconnectRequest {
  container: string;
  /** Off a network that no longer exists too; a failing teardown is logged, not an error. */
  force?: boolean;
}
