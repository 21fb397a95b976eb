from modeltranslation.translator import TranslationOptions, register

from clinics.models import Clinic


@register(Clinic)
class ClinicTranslationOptions(TranslationOptions):
    fields = ("description",)
