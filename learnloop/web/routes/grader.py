"""A course's learned grader: its models, retraining as a background job, and job status."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from learnloop.services import access, graders, jobs
from learnloop.web.deps import BackendDep, UserDep
from learnloop.web.types import IdPath, UtcDateTime

router = APIRouter(tags=["grader"])


class GraderModelOut(BaseModel):
    id: int
    course_id: str | None = Field(description="None for a default model")
    name: str
    kind: str
    label_set: str | None
    active: bool
    metrics: dict[str, Any]
    created_at: UtcDateTime


@router.get(
    "/courses/{course_id}/grader/models",
    response_model=list[GraderModelOut],
    summary="The course's grader models, newest first (teacher of the course)",
    description="Each with its held-out scores and, after a retraining, the scores of the "
    "model it was compared with and why it was or was not activated.",
)
def list_models(course_id: str, backend: BackendDep, user: UserDep) -> list[GraderModelOut]:
    with backend.transaction() as s:
        course = access.check_course_teacher(s, user, course_id)
        rows = graders.list_models(s, course=course)
        return [
            GraderModelOut(
                id=r.id,
                course_id=course.key,
                name=r.name,
                kind=r.kind,
                label_set=r.label_set,
                active=r.active,
                metrics=dict(r.metrics or {}),
                created_at=r.created_at,
            )
            for r in rows
        ]


class RetrainIn(BaseModel):
    kind: Literal["tfidf", "cross-encoder"] | None = Field(
        default=None,
        description="Default: the active model's kind; a fine-tuned encoder where torch is "
        "installed, TF-IDF where it is not",
    )


class JobOut(BaseModel):
    id: int
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: float = Field(ge=0, le=1)
    message: str
    params: dict[str, Any]
    result: dict[str, Any] = Field(description="For a retraining: the report (kept, reason...)")
    error: str
    created_by: int | None
    created_at: UtcDateTime
    started_at: UtcDateTime | None
    updated_at: UtcDateTime
    finished_at: UtcDateTime | None


def _job_out(v: jobs.JobView) -> JobOut:
    return JobOut(**vars(v))


@router.post(
    "/courses/{course_id}/grader/retrain",
    response_model=JobOut,
    status_code=202,
    summary="Retrain the course's grader on its teachers' labels (teacher of the course)",
    description="Starts a job and returns it at once; poll GET /jobs/{job_id}. The new model "
    "becomes active only if it is not worse than the active one on held-out answers.",
)
def retrain(
    course_id: str, backend: BackendDep, user: UserDep, body: RetrainIn | None = None
) -> JobOut:
    with backend.transaction() as s:
        course = access.check_course_teacher(s, user, course_id)
    params = {"course_id": course.key, "kind": body.kind if body else None, "created_by": user.id}
    view = jobs.start_job(backend, kind="grader.retrain", params=params, created_by=user.id)
    return _job_out(view)


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    summary="A background job's status and progress (its creator or an admin)",
)
def get_job(job_id: IdPath, backend: BackendDep, user: UserDep) -> JobOut:
    return _job_out(jobs.check_job(backend, user, job_id))
