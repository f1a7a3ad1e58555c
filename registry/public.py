"""What other apps may use of the elder registry (docs/architecture.md): its models, its services,
selectors and ID-number rules, the choices elders are described with, and the roll importer's row
parsing for other importers keyed by ID number. Import these from here, never from the modules
behind them; models in foreign keys are named by string ("registry.Elder")."""

from .choices import (
    AGE_BANDS,
    ECONOMICALLY_DIFFICULT,
    SPECIAL_DIFFICULTY_FLAGS,
    AbilityLevel,
    CareSetting,
    DisabilityCategory,
    DisabilityGrade,
    EconomicStatus,
    HukouType,
    LivingArrangement,
    Relation,
    Sex,
    SpecialFamily,
    VeteranCategory,
)
from .history import history_entries
from .importers import DATE_HELP, ID_COLUMN, RowParser, existing_elders
from .models import Elder, ElderQuerySet, Household
from .rules import (
    EARLIEST_BIRTH,
    PERSONAL_DATA,
    age_on,
    birth_date_bounds_for_age,
    check_char,
    mask_bank_account,
    mask_id_number,
    normalize_id_number,
    parse_id_number,
)
from .services import elder_set_ability_level, elder_set_care_setting
from .synthetic import generate as generate_synthetic_elders

__all__ = [
    "AGE_BANDS", "ECONOMICALLY_DIFFICULT", "SPECIAL_DIFFICULTY_FLAGS", "AbilityLevel", "CareSetting",
    "DisabilityCategory", "DisabilityGrade", "EconomicStatus", "HukouType", "LivingArrangement", "Relation", "Sex",
    "SpecialFamily", "VeteranCategory",
    "history_entries",
    "DATE_HELP", "ID_COLUMN", "RowParser", "existing_elders",
    "Elder", "ElderQuerySet", "Household",
    "EARLIEST_BIRTH", "PERSONAL_DATA", "age_on", "birth_date_bounds_for_age", "check_char", "mask_bank_account",
    "mask_id_number", "normalize_id_number", "parse_id_number",
    "elder_set_ability_level", "elder_set_care_setting",
    "generate_synthetic_elders",
]
