/** The tool's identity, recorded in every manifest. Bumped with package.json's version at release time. */
export const TOOL_NAME = 'xlr-backup'
export const TOOL_VERSION = '0.1.0'
