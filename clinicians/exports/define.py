"""define.xml (Define-XML 2.1) of an SDTM export, built with odmlib's Define-XML 2.1 model.

Every dataset of ``clinicians.exports.sdtmig`` with its variables (SDTMIG labels, data types,
the lengths of the values actually written, core as Mandatory, the natural key as KeySequence,
origin) and the codelists its controlled variables use: the --TESTCD/--TEST mapping table, the
MedDRA-free CDISC terms ToxWatch writes, units. ``validate`` checks a document against the
Define-XML 2.1 schema that odmlib ships (no network).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import odmlib.define_2_1.model as DEFINE
import odmlib.ns_registry as NS
from odmlib.odm_parser import ODMSchemaValidator

from clinicians.exports import sdtmig
from clinicians.exports.sdtmig import DATASETS, Dataset, Variable

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
STANDARD_OID = "STD.SDTMIG.3-4"
SOURCE = {"DM": "Sponsor", "EX": "Investigator", "AE": "Investigator"}


def _codelists() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Codelist key -> (name, [(coded value, decode or "")])."""
    tests = sdtmig.tests()

    def pairs(domain: str) -> list[tuple[str, str]]:
        return sorted({(t.testcd, t.test) for t in tests if t.domain == domain})

    def plain(values: Iterable[str]) -> list[tuple[str, str]]:
        return [(v, "") for v in sorted(set(values)) if v]

    treatments = sdtmig.TREATMENTS.values()
    return {
        "QSTESTCD": ("Question Short Name", pairs("QS")),
        "QSTEST": ("Question Name", plain(t.test for t in tests if t.domain == "QS")),
        "QSCAT": (
            "Category of Question",
            plain(t.source.upper() for t in tests if t.domain == "QS"),
        ),
        "FATESTCD": ("Findings About Test Short Name", pairs("FA")),
        "FATEST": ("Findings About Test Name", plain(t.test for t in tests if t.domain == "FA")),
        "FACAT": (
            "Category for Findings About",
            plain(["PATIENT-REPORTED", "CLINICIAN-CONFIRMED"]),
        ),
        "UNIT": ("Unit", plain(sdtmig.UNITS)),
        "NY": ("No Yes Response", plain(["N", "Y"])),
        "ND": ("Not Done", plain(["NOT DONE"])),
        "EVAL": ("Evaluator", plain(["CAREGIVER", "INVESTIGATOR", "STUDY SUBJECT"])),
        "EPOCH": ("Epoch", plain(sdtmig.EPOCHS)),
        "SEX": ("Sex", plain(["F", "M", "U"])),
        "AGEU": ("Age Unit", plain(["YEARS"])),
        "ARMCD": ("Planned Arm Code", sorted({(t.armcd, t.arm) for t in treatments})),
        "ARM": ("Description of Planned Arm", plain(t.arm for t in treatments)),
        "COUNTRY": ("Country", plain(sdtmig.COUNTRY_BY_TIMEZONE.values())),
        "EXTRT": ("Name of Treatment", plain(t.extrt for t in treatments)),
        "FRM": ("Pharmaceutical Dosage Form", plain(t.dose_form for t in treatments)),
        "FREQ": ("Frequency", plain(["BID", "Q3W", "QD"])),
        "ROUTE": ("Route of Administration", plain(t.route for t in treatments)),
        "ACN": ("Action Taken with Study Treatment", plain(["DOSE NOT CHANGED"])),
        "OUT": ("Outcome of Event", plain(["NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED"])),
        "TOXGR": ("Toxicity Grade", plain(["1", "2", "3", "4", "5"])),
    }


def build(
    *, study: str, lengths: Mapping[str, Mapping[str, int]], counts: Mapping[str, int]
) -> str:
    """The define.xml text. ``lengths``: the longest value written per dataset and variable;
    ``counts``: records per dataset (an empty dataset is flagged HasNoData)."""
    NS.NamespaceRegistry(prefix="odm", uri=ODM_NS, is_default=True, is_reset=True)
    NS.NamespaceRegistry(prefix="def", uri=DEF_NS)
    NS.NamespaceRegistry(prefix="xlink", uri=XLINK_NS)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    odm = DEFINE.ODM(
        FileType="Snapshot",
        FileOID=f"DEF.{study}.SDTM",
        CreationDateTime=now,
        ODMVersion="1.3.2",
        Originator="ToxWatch",
        SourceSystem="ToxWatch",
        Context="Submission",
    )
    odm.Study = DEFINE.Study(OID=f"ST.{study}")
    odm.Study.GlobalVariables = DEFINE.GlobalVariables()
    odm.Study.GlobalVariables.StudyName = DEFINE.StudyName(_content=study)
    odm.Study.GlobalVariables.StudyDescription = DEFINE.StudyDescription(
        _content=f"{study}: ToxWatch patient-reported and clinician-confirmed toxicity data"
    )
    odm.Study.GlobalVariables.ProtocolName = DEFINE.ProtocolName(_content=study)
    mdv = DEFINE.MetaDataVersion(
        OID=f"MDV.{study}.SDTMIG.3-4",
        Name=f"{study}, SDTMIG {sdtmig.SDTMIG_VERSION}",
        Description="ToxWatch SDTM export",
        DefineVersion=sdtmig.DEFINE_VERSION,
    )
    mdv.Standards = DEFINE.Standards()
    mdv.Standards.Standard.append(
        DEFINE.Standard(
            OID=STANDARD_OID,
            Name="SDTMIG",
            Type="IG",
            Version=sdtmig.SDTMIG_VERSION,
            Status="Final",
        )
    )
    used: set[str] = set()
    for dataset in DATASETS:
        mdv.ItemGroupDef.append(_item_group(dataset, counts.get(dataset.name, 0)))
        for variable in dataset.variables:
            length = lengths.get(dataset.name, {}).get(variable.name, 0)
            mdv.ItemDef.append(_item(dataset, variable, length))
            if variable.codelist:
                used.add(variable.codelist)
    for key, (name, values) in _codelists().items():
        if key in used:
            mdv.CodeList.append(_codelist(key, name, values))
    odm.Study.MetaDataVersion = mdv
    return odm.to_xml_string(xml_declaration=True)


def _item_group(dataset: Dataset, count: int) -> DEFINE.ItemGroupDef:
    name = dataset.name
    group = DEFINE.ItemGroupDef(
        OID=f"IG.{name}",
        Name=name,
        Repeating="No" if name == "DM" else "Yes",
        IsReferenceData="No",
        SASDatasetName=name,
        Purpose="Tabulation",
        Structure=dataset.structure,
        ArchiveLocationID=f"LF.{name}",
        StandardOID=STANDARD_OID,
    )
    if name not in ("RELREC",) and not name.startswith("SUPP"):
        group.Domain = name
    if count == 0:
        group.HasNoData = "Yes"
    group.Description = DEFINE.Description()
    group.Description.TranslatedText.append(
        DEFINE.TranslatedText(_content=dataset.label, lang="en")
    )
    for order, variable in enumerate(dataset.variables, start=1):
        ref = DEFINE.ItemRef(
            ItemOID=f"IT.{name}.{variable.name}",
            OrderNumber=order,
            Mandatory="Yes" if variable.core == "Req" else "No",
        )
        if variable.name in dataset.keys:
            ref.KeySequence = dataset.keys.index(variable.name) + 1
        group.ItemRef.append(ref)
    group.Class = DEFINE.Class(Name=dataset.klass)
    group.leaf = DEFINE.leaf(ID=f"LF.{name}", href=f"{name.lower()}.xpt")
    group.leaf.title = DEFINE.title(_content=f"{name.lower()}.xpt")
    return group


def _item(dataset: Dataset, variable: Variable, length: int) -> DEFINE.ItemDef:
    item = DEFINE.ItemDef(
        OID=f"IT.{dataset.name}.{variable.name}",
        Name=variable.name,
        DataType=variable.kind,
        SASFieldName=variable.name,
    )
    if variable.kind in ("text", "integer", "float"):
        item.Length = max(1, length)
    if variable.kind == "float":
        item.SignificantDigits = 2
    item.Description = DEFINE.Description()
    item.Description.TranslatedText.append(
        DEFINE.TranslatedText(_content=variable.label, lang="en")
    )
    if variable.codelist:
        item.CodeListRef = DEFINE.CodeListRef(CodeListOID=f"CL.{variable.codelist}")
    origin = DEFINE.Origin(Type=variable.origin)
    if variable.origin == "Collected":
        origin.Source = SOURCE.get(dataset.name, "Subject")
    elif variable.origin == "Assigned":
        origin.Source = "Sponsor"
    item.Origin.append(origin)
    return item


def _codelist(key: str, name: str, values: list[tuple[str, str]]) -> DEFINE.CodeList:
    codelist = DEFINE.CodeList(OID=f"CL.{key}", Name=name, DataType="text")
    if any(decode for _, decode in values):
        for order, (value, decode) in enumerate(values, start=1):
            item = DEFINE.CodeListItem(CodedValue=value, OrderNumber=order)
            item.Decode = DEFINE.Decode()
            item.Decode.TranslatedText.append(
                DEFINE.TranslatedText(_content=decode or value, lang="en")
            )
            codelist.CodeListItem.append(item)
    else:
        for order, (value, _) in enumerate(values, start=1):
            codelist.EnumeratedItem.append(
                DEFINE.EnumeratedItem(CodedValue=value, OrderNumber=order)
            )
    return codelist


def validate(path: Path) -> None:
    """Raise when ``path`` does not validate against odmlib's Define-XML 2.1 schema."""
    ODMSchemaValidator(standard="define", version="2.1").validate_file(str(path))
