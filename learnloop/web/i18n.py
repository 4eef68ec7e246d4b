"""The pages' words in English and Chinese, and which language a visitor gets.

A visitor gets the language they chose with the switch in the page header (a cookie), else
the first of their browser's languages (``Accept-Language``) that the pages speak, else the
server's ``LEARNLOOP_DEFAULT_LANGUAGE``.

Texts are looked up by key (``t("nav.courses")``) and may hold ``{name}`` fields. Every key
exists in both languages; ``tests/web/test_pages.py`` checks that, and that every key a
template uses exists. Another page module adds its own keys with ``add_messages`` at import,
so the teacher pages keep their words beside their code.
"""

from __future__ import annotations

import re

LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}
"""The languages the pages speak, each named in itself (as the switch shows it)."""

LANGUAGE_COOKIE = "learnloop_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        # the frame of every page
        "app.name": "learnloop",
        "nav.skip": "Skip to content",
        "nav.main": "Main",
        "nav.courses": "My courses",
        "nav.logout": "Log out",
        "nav.login": "Log in",
        "nav.signed_in_as": "Signed in as {name}",
        "nav.language": "Language",
        "nav.switch_language": "Switch the language to {language}",
        "footer.privacy": "Your answers stay on this server.",
        "footer.api": "API",
        "common.none": "none",
        "common.percent": "{value}%",
        # logging in
        "login.title": "Log in",
        "login.intro": "Log in with the account your teacher or school gave you.",
        "login.username": "Username",
        "login.password": "Password",
        "login.submit": "Log in",
        "login.missing": "Type both your username and your password.",
        "login.failed": (
            "Wrong username or password. Check both (capital letters count in the password) "
            "and try again."
        ),
        "login.rate_limited": (
            "Too many failed logins for this account. Wait 15 minutes and try again, or ask "
            "your teacher to reset your password."
        ),
        "login.bye": "You have logged out.",
        "login.required": "Log in to see that page.",
        # my courses
        "courses.title": "My courses",
        "courses.empty": (
            "You are not in a class with a course yet. Ask your teacher to add you to one."
        ),
        "courses.concepts_mastered": "{done} of {total} concepts mastered",
        "courses.items_attempted": "{done} of {total} questions tried, {correct} answered right",
        "courses.map": "Course map",
        "courses.practise": "Practise",
        "courses.progress": "My progress",
        # course map
        "map.title": "{course}: course map",
        "map.intro": (
            "Each box is a concept. An arrow leads from a concept to the ones that build on it. "
            "The colour shows how well you know it; select a box to practise it."
        ),
        "map.practise_next": "Practise the next step",
        "map.all_done": "You have mastered every concept this course offers you. Well done!",
        "map.figure_label": "Concept map of {course}; the table below has the same information.",
        "map.legend": "Colour scale",
        "map.legend.mastery": "mastery from 0% to 100%",
        "map.legend.mastered": "thick border: mastered ({pct} or more)",
        "map.legend.not_started": "grey with a dashed border: not started",
        "map.table_caption": "Your mastery of each concept",
        "map.col.concept": "Concept",
        "map.col.prerequisites": "Needs first",
        "map.col.mastery": "Mastery",
        "map.col.answers": "Answers",
        "map.col.status": "Status",
        "map.col.practise": "Practise",
        "map.status.mastered": "Mastered",
        "map.status.ready": "Ready to learn",
        "map.status.waiting": "Learn what it needs first",
        "map.no_items": "no questions yet",
        "map.materials": "Reading",
        "map.no_materials": "This course has no reading material yet.",
        # a concept's estimate, wherever it is shown
        "mastery.not_started": "not started",
        "mastery.range": "{value} (likely between {low} and {high})",
        "mastery.explained": (
            "How to read a figure such as 62% (45–77): 62% is our best estimate of how well "
            "you know the concept, and it is probably somewhere between 45% and 77%. The "
            "range narrows with every answer you give. “Not started” means you have not "
            "answered a question on it yet, so there is nothing to estimate."
        ),
        # what to do next, reviews, the path to a goal (course page)
        "map.next.title": "What to do next",
        "map.next.review_badge": "Review",
        "map.next.start": "Practise it now",
        "map.next.start_review": "Start the review",
        "map.next.read_first": "Read this first",
        "map.next.then_answer": "then answer a question on it",
        "map.reviews.title": "Due for review",
        "map.reviews.intro": (
            "You had mastered these, but you have probably forgotten some of it by now. A "
            "few questions bring each back."
        ),
        "map.reviews.none": "Nothing is due for review.",
        "map.reviews.practise": "Review it",
        "map.path.title": "Your learning path",
        "map.path.own_goal": "Your goal: {goal}.",
        "map.path.class_goal": "Your teacher set the goal {goal} for your class.",
        "map.path.no_goal": (
            "You have no goal yet. Choose a concept you want to reach, and this shows what "
            "to learn on the way there."
        ),
        "map.path.reached": "You have mastered {goal} and everything it builds on.",
        "map.path.caption": "The steps to {goal}, in the order to learn them",
        "map.path.col.step": "Step",
        "map.path.col.concept": "Concept",
        "map.path.col.mastery": "Your mastery",
        "map.path.col.ready": "Can you start it?",
        "map.path.col.answers": "Answers needed",
        "map.path.ready": "yes, now",
        "map.path.not_ready": "after the steps before it",
        "map.path.total": "In all about {n} answers to reach {goal}.",
        "map.path.answers_note": (
            "“Answers needed” is about how many more answers it usually takes to master a "
            "concept from where you stand; the path is worked out again after every answer."
        ),
        "map.goal.label": "Goal concept",
        "map.goal.choose": "Choose a concept…",
        "map.goal.set": "Set as my goal",
        "map.goal.clear": "Clear my goal",
        "map.goal.saved": "Your goal is saved.",
        "map.goal.cleared": "Your own goal is cleared.",
        # practice
        "item.title": "Question",
        "item.concepts": "Practises",
        "item.your_mastery": "Your mastery of {concept}",
        "item.answer": "Your answer",
        "item.choose_one": "Choose one answer",
        "item.choose_many": "Choose every right answer",
        "item.unit": "in {unit}",
        "item.hint.numeric": "A number: 0.75, 3/4, 1 1/2 and 75% are all fine.",
        "item.hint.expression": "An expression, such as 2(x+1) or x^2/3.",
        "item.hint.text": "A word or a short phrase.",
        "item.hint.free_text": (
            "A few sentences in your own words. A trained grader marks them, and your "
            "teacher checks the grades it is unsure of."
        ),
        "item.submit": "Check my answer",
        "item.empty": "Write an answer (or choose one) first, then check it.",
        "item.back_to_map": "Back to the course map",
        "result.title": "Your result",
        "result.your_answer": "You answered",
        "result.verdict.correct": "Correct",
        "result.verdict.partially_correct": "Partly correct",
        "result.verdict.incorrect": "Not correct",
        "result.verdict.pending": "Waiting for your teacher",
        "result.score": "Score: {score}",
        "result.provisional": (
            "Your teacher will check this grade. Your mastery changes once they have."
        ),
        "result.replayed": "You had sent this answer already; this is its result.",
        "result.mastery": "Your mastery",
        "result.mastery_change": "{concept}: {before} → {after}",
        "result.mastery_now": "{concept}: {after}",
        "result.up": "up",
        "result.down": "down",
        "result.why": "Why",
        "result.why_reveal": "Why? (This shows the right answer.)",
        "result.next": "Next question",
        "result.next_about": "Next: {concept}. {reason}",
        "result.next_review": "Next: a review of {concept}. {reason}",
        "result.try_again": "Try this question again",
        "result.read_about": "Read about it",
        "result.read_about_intro": "These parts of the course pages explain what went wrong:",
        "result.read_first": "Read this before the next question:",
        "result.read_above": "Read the pages above before the next question.",
        "item.why_this": "Why this question",
        "result.done": "You have mastered everything this course offers you for now.",
        "practice.done_title": "Nothing left to practise",
        # the tutor
        "tutor.title": "Ask the tutor",
        "tutor.intro": (
            "Ask about this question or the topic. The tutor explains and gives hints; it "
            "does not give away the answer to a question you have not finished."
        ),
        "tutor.noscript": (
            "The tutor needs JavaScript, which is off in this browser. Everything else on "
            "this page works without it."
        ),
        "tutor.label": "Your question to the tutor",
        "tutor.placeholder": "For example: why does the bottom number stay the same?",
        "tutor.ask": "Ask",
        "tutor.hint": "Give me a hint",
        "tutor.hint_asked": "Give me a hint, please.",
        "tutor.you": "You",
        "tutor.tutor": "Tutor",
        "tutor.writing": "The tutor is writing…",
        "tutor.reading": "Reading the course pages: {sources} …",
        "tutor.sources": "Sources",
        "tutor.consulted": "Read for this reply",
        "tutor.rate": "Was this reply helpful?",
        "tutor.helpful": "Helpful",
        "tutor.not_helpful": "Not helpful",
        "tutor.why_not": "What was wrong with it?",
        "tutor.send_rating": "Send",
        "tutor.thanks": "Thanks, noted.",
        "tutor.style_now": "Thanks. From now on the tutor will: {changes}.",
        "tutor.style.short": "keep its replies short",
        "tutor.style.detailed": "explain every step",
        "tutor.style.examples": "add a worked example",
        "tutor.style.simpler": "use simpler words",
        "tutor.error": "The tutor could not answer: {message}",
        "tutor.network": ("The connection to the server broke. Check your network and ask again."),
        "tutor.empty": "Type a question first.",
        "tutor.reason.too_long": "Too long",
        "tutor.reason.too_short": "Too short",
        "tutor.reason.too_hard": "Hard to follow",
        "tutor.reason.need_example": "Needed an example",
        "tutor.reason.wrong": "It was wrong",
        "tutor.reason.off_topic": "Did not answer my question",
        "tutor.reason.other": "Something else",
        # reading material
        "material.back": "Back to the course map",
        "material.also_in": "Also in",
        "material.fallback": "This page is not written in {wanted}; here it is in {shown}.",
        "material.concepts": "About",
        # progress over time
        "progress.title": "{course}: my progress",
        "progress.intro": (
            "After each answer: your mastery of the concepts you practised most recently "
            "(from their first answer on), your average over the concepts you have started, "
            "and your share of right answers so far."
        ),
        "progress.summary": (
            "Answers: {answers}. Concepts mastered: {mastered} of {concepts}. "
            "Questions answered right: {correct} of {items}."
        ),
        "progress.empty": "No answers yet. Practise a little and your progress shows here.",
        "progress.chart_label": (
            "Line chart of your progress over time; the table below has the same numbers."
        ),
        "progress.noscript": (
            "The chart needs JavaScript, which is off; the table below has the same numbers."
        ),
        "progress.mean_mastery": "Average of the concepts started",
        "progress.share_correct": "Right so far",
        "progress.x_axis": "Answers given (0: before the first)",
        "progress.y_axis": "Percent",
        "progress.table_caption": "Each answer and where it left you",
        "progress.col.n": "#",
        "progress.col.when": "When (UTC)",
        "progress.col.item": "Question",
        "progress.col.verdict": "Result",
        "progress.col.share": "Right so far",
        "progress.col.concepts": "Its concepts after it",
        "progress.col.mastery": "Average of the concepts started",
        "progress.col.mastered": "Concepts mastered",
        "progress.now": "Where you stand now",
        "progress.over_time": "Answer by answer",
        # errors
        "error.title": "Error {status}",
        "error.server_said": "What the server said",
        "error.go_courses": "Go to my courses",
        "error.log_in": "Log in",
        "error.try_again": "Try again",
        "error.401.heading": "Please log in",
        "error.401.text": "You need to be logged in for this. Your login may have ended.",
        "error.403.heading": "Not allowed",
        "error.403.text": (
            "Your account may not do this. If you think it should, ask your teacher or an "
            "administrator."
        ),
        "error.404.heading": "Not found",
        "error.404.text": (
            "There is no such page, or it belongs to a course you are not in. Check the "
            "address, or start again from your courses."
        ),
        "error.405.heading": "Not possible here",
        "error.405.text": "This page cannot be used that way. Start again from your courses.",
        "error.409.heading": "That clashed with another change",
        "error.409.text": "Something changed at the same moment. Go back and try again.",
        "error.422.heading": "Something in what you sent needs fixing",
        "error.422.text": "Go back, correct the fields named below and send it again.",
        "error.429.heading": "Too many tries",
        "error.429.text": "Wait a few minutes, then try again.",
        "error.500.heading": "Something went wrong on our side",
        "error.500.text": (
            "It is not your fault, and it has been logged. Try again in a moment; if it "
            "keeps happening, tell your teacher or the administrator."
        ),
        "error.503.heading": "Not available right now",
        "error.503.text": (
            "A part of the server is not ready. Try again in a minute; if it keeps "
            "happening, tell the administrator."
        ),
        "error.other.heading": "Something went wrong",
        "error.other.text": "Go back and try again, or start again from your courses.",
    },
    "zh": {
        "app.name": "learnloop",
        "nav.skip": "跳到正文",
        "nav.main": "主导航",
        "nav.courses": "我的课程",
        "nav.logout": "退出登录",
        "nav.login": "登录",
        "nav.signed_in_as": "当前用户：{name}",
        "nav.language": "语言",
        "nav.switch_language": "把界面语言切换为{language}",
        "footer.privacy": "你的答案只保存在这台服务器上。",
        "footer.api": "API",
        "common.none": "无",
        "common.percent": "{value}%",
        "login.title": "登录",
        "login.intro": "请用老师或学校给你的账号登录。",
        "login.username": "用户名",
        "login.password": "密码",
        "login.submit": "登录",
        "login.missing": "请同时输入用户名和密码。",
        "login.failed": "用户名或密码错误。请检查两者（密码区分大小写）后重试。",
        "login.rate_limited": "这个账号登录失败的次数太多。请等 15 分钟后再试，或请老师重置密码。",
        "login.bye": "你已退出登录。",
        "login.required": "请先登录，才能查看那个页面。",
        "courses.title": "我的课程",
        "courses.empty": "你还没有加入带有课程的班级。请让老师把你加入一个班级。",
        "courses.concepts_mastered": "已掌握 {done}/{total} 个知识点",
        "courses.items_attempted": "已尝试 {done}/{total} 道题，答对 {correct} 道",
        "courses.map": "课程地图",
        "courses.practise": "开始练习",
        "courses.progress": "我的进度",
        "map.title": "{course}：课程地图",
        "map.intro": (
            "每个方框是一个知识点，箭头从一个知识点指向以它为基础的知识点。"
            "颜色表示你的掌握程度；点击方框即可练习该知识点。"
        ),
        "map.practise_next": "练习下一步",
        "map.all_done": "这门课程里你能学的知识点已经全部掌握了，做得好！",
        "map.figure_label": "{course}的课程地图；下表包含相同的信息。",
        "map.legend": "颜色说明",
        "map.legend.mastery": "掌握程度从 0% 到 100%",
        "map.legend.mastered": "粗边框：已掌握（{pct} 及以上）",
        "map.legend.not_started": "灰色虚线边框：尚未开始",
        "map.table_caption": "你对各知识点的掌握程度",
        "map.col.concept": "知识点",
        "map.col.prerequisites": "先修知识点",
        "map.col.mastery": "掌握程度",
        "map.col.answers": "作答次数",
        "map.col.status": "状态",
        "map.col.practise": "练习",
        "map.status.mastered": "已掌握",
        "map.status.ready": "可以学习",
        "map.status.waiting": "需先掌握先修知识点",
        "map.no_items": "暂无题目",
        "map.materials": "阅读材料",
        "map.no_materials": "这门课程还没有阅读材料。",
        "mastery.not_started": "尚未开始",
        "mastery.range": "{value}（很可能在 {low} 到 {high} 之间）",
        "mastery.explained": (
            "怎样看“62%（45–77）”这样的数字：62% 是我们对你掌握这个知识点程度的最佳估计，"
            "实际很可能在 45% 到 77% 之间。你每多作答一次，这个范围就会变窄。"
            "“尚未开始”表示你还没有回答过这个知识点的题目，所以还无法估计。"
        ),
        "map.next.title": "下一步做什么",
        "map.next.review_badge": "复习",
        "map.next.start": "现在练习",
        "map.next.start_review": "开始复习",
        "map.next.read_first": "先读一读",
        "map.next.then_answer": "然后做一道这个知识点的题",
        "map.reviews.title": "需要复习的知识点",
        "map.reviews.intro": (
            "这些知识点你曾经掌握过，但现在可能已经忘记了一部分。做几道题就能把它们找回来。"
        ),
        "map.reviews.none": "目前没有需要复习的知识点。",
        "map.reviews.practise": "去复习",
        "map.path.title": "你的学习路径",
        "map.path.own_goal": "你的目标：{goal}。",
        "map.path.class_goal": "老师为你的班级设定了目标：{goal}。",
        "map.path.no_goal": (
            "你还没有设定目标。选择一个你想达到的知识点，这里会列出一路上要学的内容。"
        ),
        "map.path.reached": "你已经掌握了“{goal}”以及它所依赖的全部知识点。",
        "map.path.caption": "通往“{goal}”的各个步骤（按学习顺序）",
        "map.path.col.step": "步骤",
        "map.path.col.concept": "知识点",
        "map.path.col.mastery": "你的掌握程度",
        "map.path.col.ready": "现在可以开始吗？",
        "map.path.col.answers": "预计还需作答",
        "map.path.ready": "可以",
        "map.path.not_ready": "先学完前面的步骤",
        "map.path.total": "要达到“{goal}”，总共大约还需作答 {n} 次。",
        "map.path.answers_note": (
            "“预计还需作答”是从你现在的水平出发，通常还要作答多少次才能掌握这个知识点；"
            "每次作答之后，路径都会重新计算。"
        ),
        "map.goal.label": "目标知识点",
        "map.goal.choose": "选择一个知识点…",
        "map.goal.set": "设为我的目标",
        "map.goal.clear": "清除我的目标",
        "map.goal.saved": "你的目标已保存。",
        "map.goal.cleared": "你自己的目标已清除。",
        "item.title": "题目",
        "item.concepts": "练习的知识点",
        "item.your_mastery": "你对“{concept}”的掌握程度",
        "item.answer": "你的答案",
        "item.choose_one": "选择一个答案",
        "item.choose_many": "选出所有正确答案",
        "item.unit": "单位：{unit}",
        "item.hint.numeric": "填写一个数：0.75、3/4、1 1/2 或 75% 都可以。",
        "item.hint.expression": "填写一个表达式，例如 2(x+1) 或 x^2/3。",
        "item.hint.text": "填写一个词或一个短语。",
        "item.hint.free_text": (
            "用自己的话写几句话。训练好的评分模型会打分，没有把握的评分由老师复核。"
        ),
        "item.submit": "提交答案",
        "item.empty": "请先填写答案（或选择一项），再提交。",
        "item.back_to_map": "返回课程地图",
        "result.title": "结果",
        "result.your_answer": "你的答案",
        "result.verdict.correct": "正确",
        "result.verdict.partially_correct": "部分正确",
        "result.verdict.incorrect": "不正确",
        "result.verdict.pending": "等待老师批改",
        "result.score": "得分：{score}",
        "result.provisional": "老师会复核这个评分；复核之后你的掌握程度才会更新。",
        "result.replayed": "这个答案之前已经提交过，下面是它的结果。",
        "result.mastery": "你的掌握程度",
        "result.mastery_change": "{concept}：{before} → {after}",
        "result.mastery_now": "{concept}：{after}",
        "result.up": "上升",
        "result.down": "下降",
        "result.why": "为什么",
        "result.why_reveal": "为什么？（会显示正确答案）",
        "result.next": "下一题",
        "result.next_about": "下一步：{concept}。{reason}",
        "result.next_review": "下一步：复习“{concept}”。{reason}",
        "result.try_again": "再做一次这道题",
        "result.read_about": "读一读相关内容",
        "result.read_about_intro": "课程页面里的这几节讲解了错在哪里：",
        "result.read_first": "做下一题之前，先读一读：",
        "result.read_above": "做下一题之前，先读一读上面的页面。",
        "item.why_this": "为什么是这道题",
        "result.done": "这门课程目前能学的内容你都已经掌握了。",
        "practice.done_title": "没有需要练习的内容了",
        "tutor.title": "问导师",
        "tutor.intro": (
            "可以就这道题或这个主题提问。导师会讲解和提示，但不会直接告诉你还没完成的题目的答案。"
        ),
        "tutor.noscript": (
            "导师功能需要 JavaScript，而这个浏览器关闭了它。本页其他功能不需要 JavaScript。"
        ),
        "tutor.label": "你想问导师的问题",
        "tutor.placeholder": "例如：为什么分母保持不变？",
        "tutor.ask": "提问",
        "tutor.hint": "给我一个提示",
        "tutor.hint_asked": "请给我一个提示。",
        "tutor.you": "我",
        "tutor.tutor": "导师",
        "tutor.writing": "导师正在回答……",
        "tutor.reading": "正在阅读课程内容：{sources} …",
        "tutor.sources": "来源",
        "tutor.consulted": "本次回答参考了",
        "tutor.rate": "这个回答有帮助吗？",
        "tutor.helpful": "有帮助",
        "tutor.not_helpful": "没帮助",
        "tutor.why_not": "哪里不好？",
        "tutor.send_rating": "提交",
        "tutor.thanks": "谢谢，已记录。",
        "tutor.style_now": "谢谢。从现在起导师会：{changes}。",
        "tutor.style.short": "回答得更简短",
        "tutor.style.detailed": "讲清每一步",
        "tutor.style.examples": "附上例题",
        "tutor.style.simpler": "用更简单的词",
        "tutor.error": "导师无法回答：{message}",
        "tutor.network": "与服务器的连接中断了。请检查网络后重新提问。",
        "tutor.empty": "请先输入问题。",
        "tutor.reason.too_long": "太长了",
        "tutor.reason.too_short": "太短了",
        "tutor.reason.too_hard": "看不懂",
        "tutor.reason.need_example": "需要例子",
        "tutor.reason.wrong": "回答有错",
        "tutor.reason.off_topic": "没有回答我的问题",
        "tutor.reason.other": "其他原因",
        "material.back": "返回课程地图",
        "material.also_in": "其他语言版本",
        "material.fallback": "这一页没有{wanted}版本，下面显示的是{shown}版本。",
        "material.concepts": "相关知识点",
        "progress.title": "{course}：我的进度",
        "progress.intro": (
            "每次作答之后：你最近练习的知识点的掌握程度（从第一次作答起）、"
            "你已开始学习的知识点的平均掌握程度，以及累计正确率。"
        ),
        "progress.summary": (
            "共作答 {answers} 次；已掌握 {mastered}/{concepts} 个知识点；"
            "答对 {correct}/{items} 道题。"
        ),
        "progress.empty": "还没有作答记录。做几道题之后，这里会显示你的进度。",
        "progress.chart_label": "学习进度随时间变化的折线图；下表包含相同的数据。",
        "progress.noscript": "图表需要 JavaScript，而它已关闭；下表包含相同的数据。",
        "progress.mean_mastery": "已开始知识点的平均",
        "progress.share_correct": "累计正确率",
        "progress.x_axis": "作答次数（0：作答之前）",
        "progress.y_axis": "百分比",
        "progress.table_caption": "每次作答及作答后的情况",
        "progress.col.n": "序号",
        "progress.col.when": "时间（UTC）",
        "progress.col.item": "题目",
        "progress.col.verdict": "结果",
        "progress.col.share": "累计正确率",
        "progress.col.concepts": "作答后相关知识点",
        "progress.col.mastery": "已开始知识点的平均",
        "progress.col.mastered": "已掌握知识点",
        "progress.now": "你现在的掌握情况",
        "progress.over_time": "逐次作答的变化",
        "error.title": "错误 {status}",
        "error.server_said": "服务器的说明",
        "error.go_courses": "前往我的课程",
        "error.log_in": "登录",
        "error.try_again": "重试",
        "error.401.heading": "请先登录",
        "error.401.text": "需要登录才能进行这个操作。你的登录可能已经过期。",
        "error.403.heading": "没有权限",
        "error.403.text": "你的账号不能进行这个操作。如果你认为应该可以，请联系老师或管理员。",
        "error.404.heading": "找不到页面",
        "error.404.text": (
            "没有这个页面，或者它属于你没有加入的课程。请检查网址，或从“我的课程”重新开始。"
        ),
        "error.405.heading": "无法这样使用",
        "error.405.text": "这个页面不能这样使用。请从“我的课程”重新开始。",
        "error.409.heading": "与其他修改冲突",
        "error.409.text": "同一时间有其他修改。请返回后重试。",
        "error.422.heading": "提交的内容需要修改",
        "error.422.text": "请返回，改正下面列出的字段后重新提交。",
        "error.429.heading": "尝试次数太多",
        "error.429.text": "请等几分钟后再试。",
        "error.500.heading": "服务器出了问题",
        "error.500.text": (
            "这不是你的错，问题已经记录下来。请稍后重试；如果一直出现，请告诉老师或管理员。"
        ),
        "error.503.heading": "暂时无法使用",
        "error.503.text": (
            "服务器的某个部分还没有准备好。请一分钟后重试；如果一直出现，请告诉管理员。"
        ),
        "error.other.heading": "出了点问题",
        "error.other.text": "请返回后重试，或从“我的课程”重新开始。",
    },
}


def add_messages(en: dict[str, str], zh: dict[str, str]) -> None:
    """Add page texts (another page module's) in both languages; refuses a key missing in
    one of them, or one already taken, so no page shows a raw key."""
    if set(en) != set(zh):
        missing = sorted(set(en) ^ set(zh))
        raise ValueError(f"texts must exist in English and Chinese; one-sided: {missing}")
    taken = sorted(
        k
        for k in en
        if k in MESSAGES["en"] and (MESSAGES["en"][k], MESSAGES["zh"][k]) != (en[k], zh[k])
    )
    if taken:
        raise ValueError(f"text keys already used with other texts: {taken}")
    MESSAGES["en"].update(en)
    MESSAGES["zh"].update(zh)


def translate(language: str, key: str, /, **values: object) -> str:
    """The text for ``key`` in ``language`` (English if it has none; the key itself if no
    language has it, which a test prevents), with ``values`` filled in."""
    text = MESSAGES.get(language, {}).get(key) or MESSAGES["en"].get(key) or key
    return text.format(**values) if values else text


_RANGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def from_accept_language(header: str) -> str | None:
    """The first language of an ``Accept-Language`` header the pages speak, by weight:
    ``zh-CN,zh;q=0.9,en;q=0.8`` gives ``zh``."""
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(header.split(",")[:32]):
        match = _RANGE.match(part)
        if match is None:
            continue
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        language = match.group(1).lower()
        if language in LANGUAGES and weight > 0:
            ranked.append((-weight, n, language))
    return min(ranked)[2] if ranked else None


def choose_language(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The switch's choice, else the browser's, else ``default``."""
    if cookie is not None and cookie in LANGUAGES:
        return cookie
    found = from_accept_language(accept_language or "")
    if found is not None:
        return found
    return default if default in LANGUAGES else "en"


def _recommender_texts() -> None:
    """The recommender's explanations are page texts too (``recommend.explain``)."""
    from learnloop.recommend.explain import MESSAGES as EXPLAIN

    add_messages(EXPLAIN["en"], EXPLAIN["zh"])


_recommender_texts()
