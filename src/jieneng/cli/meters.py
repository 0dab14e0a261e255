"""``jieneng meters …``: the metering registry — bulk binding from a file, an
institution's accounts and meters, binding and meter events one at a time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import (
    DryRun,
    FileArg,
    Fmt,
    FormatOpt,
    engine,
    file_import,
    handles_errors,
    state,
)

meters_app = typer.Typer(help="户号与计量表 Utility accounts and meters.", no_args_is_help=True)

InstitutionOpt = Annotated[str, typer.Option(
    "--institution", help="统一社会信用代码 the institution's credit code")]
CarrierOpt = Annotated[str, typer.Option("--carrier", help="能源品种 电 / 水 / 天然气 or code")]
AccountOpt = Annotated[str, typer.Option("--account", help="户号 account number")]
MeterOpt = Annotated[str, typer.Option("--meter", help="表号 meter number")]
AtOpt = Annotated[datetime, typer.Option(
    "--at", help="时间（北京时间）time, China time", formats=["%Y-%m-%d %H:%M", "%Y-%m-%d"])]


@meters_app.command("import")
@handles_errors
def meters_import(file: FileArg, dry_run: DryRun = False,
                  fmt: FormatOpt = Fmt.table) -> None:
    """批量绑定 Bind accounts and register meters from a .xlsx/.csv file (all or nothing)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.imports import import_meters

    report = file_import(lambda: import_meters(
        engine(), command_line_user(), file, dry_run=dry_run,
        max_bytes=state.settings.max_upload_bytes), fmt)
    if report is None:
        return
    key = "metering.registry.import_checked" if dry_run else "metering.registry.import_done"
    output.console.print(output.say(key, file=report.file, bindings=report.bindings,
                                    meters=report.meters))


@meters_app.command("list")
@handles_errors
def meters_list(institution: InstitutionOpt, fmt: FormatOpt = Fmt.table,
                history: Annotated[bool, typer.Option(
                    "--history", help="含已解除的绑定 include ended bindings")] = False) -> None:
    """户号与计量表 An institution's accounts and meters."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.listing import institution_registry

    found = institution_registry(engine(), command_line_user(), institution, history=history)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    if fmt is Fmt.csv:
        output.print_csv(found["meters"])
        return
    inst = found["institution"]
    output.print_table(
        f"{inst['name']} {inst['credit_code']} — {output.say('metering.registry.accounts')}",
        [output.say(k) for k in ("metering.registry.col_account",
                                 "metering.registry.col_carrier",
                                 "metering.registry.col_utility",
                                 "metering.registry.col_valid_from",
                                 "metering.registry.col_valid_to")],
        [[a["number"], a["carrier_zh"], a["utility"] or "", a["valid_from"],
          a["valid_to"] or ""] for a in found["accounts"]])
    output.print_table(
        output.say("metering.registry.meters"),
        [output.say(k) for k in ("metering.registry.col_meter", "metering.registry.col_name",
                                 "metering.registry.col_carrier", "metering.registry.col_item",
                                 "metering.registry.col_multiplier",
                                 "metering.registry.col_register",
                                 "metering.registry.col_parent",
                                 "metering.registry.col_account",
                                 "metering.registry.col_status",
                                 "metering.registry.col_formula")],
        [[m["number"], m["name"] or "", m["carrier_zh"], m["item_code"] or "",
          m["multiplier"] if m["multiplier"] is not None else "", m["register"] or "",
          m["parent"] or "", m["account"] or "", m["status"], m["formula"] or ""]
         for m in found["meters"]])


@meters_app.command("bind")
@handles_errors
def meters_bind(institution: InstitutionOpt, carrier: CarrierOpt, account: AccountOpt,
                valid_from: Annotated[datetime, typer.Option(
                    "--from", formats=["%Y-%m-%d"], help="绑定日期 bound from")],
                utility: Annotated[str | None, typer.Option(
                    "--utility", help="供能单位 utility company")] = None) -> None:
    """绑定户号 Bind an account to an institution."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.registry import bind_account

    output.print_json(bind_account(engine(), command_line_user(), credit_code=institution,
                                   carrier_text=carrier, number=account,
                                   valid_from=valid_from.date(), utility=utility))


@meters_app.command("unbind")
@handles_errors
def meters_unbind(carrier: CarrierOpt, account: AccountOpt,
                  valid_to: Annotated[datetime, typer.Option(
                      "--to", formats=["%Y-%m-%d"], help="解除日期 bound until")]) -> None:
    """解除绑定 End an account's binding (the day given is the first not bound)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.registry import unbind_account

    output.print_json(unbind_account(engine(), command_line_user(), carrier_text=carrier,
                                     number=account, valid_to=valid_to.date()))


@meters_app.command("replace")
@handles_errors
def meters_replace(
    institution: InstitutionOpt, meter: MeterOpt, at: AtOpt,
    final: Annotated[float, typer.Option("--final", help="旧表末次读数 old meter's final")],
    initial: Annotated[float, typer.Option("--initial", help="新表起始读数 new meter's "
                                           "initial")],
    ct: Annotated[float | None, typer.Option("--ct", help="新表 CT 变比")] = None,
    pt: Annotated[float | None, typer.Option("--pt", help="新表 PT 变比")] = None,
) -> None:
    """换表 Record a meter replacement (old final and new initial reading)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.registry import replace_meter

    output.print_json(replace_meter(engine(), command_line_user(), institution, meter, at=at,
                                    final=final, initial=initial, ct=ct, pt=pt))


@meters_app.command("remove")
@handles_errors
def meters_remove(institution: InstitutionOpt, meter: MeterOpt, at: AtOpt,
                  final: Annotated[float, typer.Option("--final", help="末次读数 final")],
                  ) -> None:
    """拆表 Record a meter's removal with its final reading."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.registry import remove_meter

    output.print_json(remove_meter(engine(), command_line_user(), institution, meter, at=at,
                                   final=final))


@meters_app.command("template")
@handles_errors
def meters_template(out: Annotated[Path, typer.Argument(help="输出文件 .csv")]) -> None:
    """模板 Write the registry file's template (UTF-8 CSV with an example row)."""
    from jieneng.ingest.meters import template_csv

    out.write_bytes(template_csv())
    output.console.print(str(out))


@meters_app.command("derive")
@handles_errors
def meters_derive(
    loop: Annotated[bool, typer.Option("--loop", help="持续运行 keep deriving")] = False,
    every: Annotated[float, typer.Option("--every", min=0.1,
                                         help="每隔秒数 seconds between passes")] = 10.0,
    limit: Annotated[int, typer.Option("--limit", min=1,
                                       help="每次最多表数 meters per pass")] = 500,
    meter_ids: Annotated[list[int] | None, typer.Option(
        "--rederive", help="重算该表全部历史 derive a meter's whole history again (id)")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """计算用量 Derive interval consumption and roll-ups from new readings."""
    import time

    from jieneng.services.metering.derive import (
        derive_all_pending,
        options_of,
        rederive,
    )

    eng, options = engine(), options_of(state.settings)
    if meter_ids:
        rederive(eng, meter_ids)
    while True:
        done = derive_all_pending(eng, limit=limit, options=options)
        if fmt is Fmt.json:
            output.print_json(done.to_dict())
        else:
            output.console.print(output.say("metering.derive.done", **done.to_dict()))
        if not loop:
            return
        time.sleep(every)
