export declare const VENDOR_DIR: string;
export declare function copyDocsAssets(): void;
