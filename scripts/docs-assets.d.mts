export declare const VENDOR_DIR: string;
export declare const GRAPHIQL_VENDOR_DIR: string;
export declare function copyDocsAssets(): void;
