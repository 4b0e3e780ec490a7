/** The handles plugin's package name. */
export const HANDLES_PLUGIN = '@chronovisor/plugin-handles';
