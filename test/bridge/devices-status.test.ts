import { describe, expect, it } from "vitest";
import { decodeStatus, isStatusByte, sameStatus, statusQuery, StatusDecodeError } from "../../bridge/devices/status";
import { statusReplies } from "../fakes/printer-status";

describe("DLE EOT status decoding", () => {
  it("asks with DLE EOT n", () => {
    expect([...statusQuery(1)]).toEqual([0x10, 0x04, 0x01]);
    expect([...statusQuery(4)]).toEqual([0x10, 0x04, 0x04]);
  });

  it("reads an idle printer with paper and a closed drawer as online and fine", () => {
    expect(decodeStatus([0x12, 0x12, 0x12, 0x12])).toEqual({
      online: true,
      coverOpen: false,
      paperNearEnd: false,
      paperOut: false,
      drawerOpen: false,
      error: false,
      errorCauses: [],
      raw: [0x12, 0x12, 0x12, 0x12],
    });
  });

  it("reads an open cover: offline (n=1 bit 3), cover open (n=2 bit 2)", () => {
    const s = decodeStatus([0x1a, 0x16, 0x12, 0x12]);
    expect(s).toMatchObject({ online: false, coverOpen: true, paperOut: false, error: false });
  });

  it("reads paper out from the end sensor (n=4 bits 5,6) and from a paper-end stop (n=2 bit 5)", () => {
    expect(decodeStatus([0x1a, 0x32, 0x12, 0x7e])).toMatchObject({ online: false, paperOut: true, paperNearEnd: true });
    expect(decodeStatus([0x1a, 0x32, 0x12, 0x12])).toMatchObject({ paperOut: true, paperNearEnd: false });
    expect(decodeStatus([0x12, 0x12, 0x12, 0x72])).toMatchObject({ online: true, paperOut: true });
  });

  it("reads paper near end alone (n=4 bits 2,3, either sensor)", () => {
    expect(decodeStatus([0x12, 0x12, 0x12, 0x1e])).toMatchObject({ paperNearEnd: true, paperOut: false, online: true });
    expect(decodeStatus([0x12, 0x12, 0x12, 0x16])).toMatchObject({ paperNearEnd: true });
  });

  it("reads the drawer from pin 3 (n=1 bit 2) with the configured level for open", () => {
    expect(decodeStatus([0x16, 0x12, 0x12, 0x12]).drawerOpen).toBe(true);
    expect(decodeStatus([0x16, 0x12, 0x12, 0x12], "low").drawerOpen).toBe(false);
    expect(decodeStatus([0x12, 0x12, 0x12, 0x12], "low").drawerOpen).toBe(true);
  });

  it("reads the error causes of n=3 and the error flag of n=2 bit 6", () => {
    expect(decodeStatus([0x1a, 0x52, 0x1a, 0x12])).toMatchObject({ error: true, errorCauses: ["autocutter"] });
    expect(decodeStatus([0x1a, 0x52, 0x76, 0x12]).errorCauses).toEqual(["recoverable", "unrecoverable", "auto-recoverable"]);
    expect(decodeStatus([0x1a, 0x52, 0x12, 0x12])).toMatchObject({ error: true, errorCauses: [] });
  });

  it("rejects a byte without the fixed 0xx1xx10 pattern, naming the request", () => {
    expect(() => decodeStatus([0x12, 0x13, 0x12, 0x12])).toThrow(StatusDecodeError);
    expect(() => decodeStatus([0x12, 0x13, 0x12, 0x12])).toThrow(/DLE EOT 2 answered 0x13/);
    expect(isStatusByte(0x11)).toBe(false); // XON
    expect(isStatusByte(0x13)).toBe(false); // XOFF
    expect(isStatusByte(0x92)).toBe(false);
    expect(isStatusByte(0x7e)).toBe(true);
  });

  it("decodes every status the fake printers script to what they script", () => {
    expect(decodeStatus(statusReplies({}))).toMatchObject({ online: true, coverOpen: false, paperOut: false, drawerOpen: false });
    expect(decodeStatus(statusReplies({ coverOpen: true }))).toMatchObject({ online: false, coverOpen: true });
    expect(decodeStatus(statusReplies({ paperOut: true }))).toMatchObject({ online: false, paperOut: true, paperNearEnd: true });
    expect(decodeStatus(statusReplies({ paperNearEnd: true }))).toMatchObject({ online: true, paperNearEnd: true, paperOut: false });
    expect(decodeStatus(statusReplies({ drawerOpen: true }))).toMatchObject({ online: true, drawerOpen: true });
    expect(decodeStatus(statusReplies({ autocutterError: true }))).toMatchObject({ online: false, error: true, errorCauses: ["autocutter"] });
  });

  it("tells statuses apart by their bytes", () => {
    const a = decodeStatus([0x12, 0x12, 0x12, 0x12]);
    expect(sameStatus(a, decodeStatus([0x12, 0x12, 0x12, 0x12]))).toBe(true);
    expect(sameStatus(a, decodeStatus([0x12, 0x12, 0x12, 0x1e]))).toBe(false);
    expect(sameStatus(a, undefined)).toBe(false);
  });
});
